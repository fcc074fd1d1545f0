"""/api/datasets: upload a CSV data set (validated, stored under the service home), list them."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from api.blocking import in_process, note_write, off_loop
from api.deps import SettingsDep, StoreDep
from tuner.client.schemas import Dataset, DatasetPage, Error
from tuner.core.settings import Settings
from tuner.core.uploads import (
    TIMESTAMP_COLUMN,
    UploadOptions,
    ValidatedDataset,
    dataset_path,
    validate_csv_file,
)
from tuner.service.deletion import delete_dataset as remove_dataset
from tuner.store import Store

router = APIRouter(prefix="/api/datasets", tags=["datasets"])

CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string", "description": "the CSV file"}}},
    }
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Dataset,
    responses={413: {"model": Error, "description": "file over the size limit"}},
    openapi_extra=CSV_BODY,
)
async def upload_dataset(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    name: Annotated[str, Query(min_length=1, max_length=200)],
    timestamp_column: Annotated[str, Query(min_length=1, max_length=200)] = TIMESTAMP_COLUMN,
    columns: Annotated[
        list[str] | None,
        Query(max_length=1000, description="keep only these columns (repeat, or comma-separate)"),
    ] = None,
    fill_gaps: Annotated[
        int, Query(ge=0, le=10_000, description="fill up to this many missing steps in a row")
    ] = 0,
    start: Annotated[
        datetime | None, Query(description="leave out the rows before this time")
    ] = None,
    frequency: Annotated[
        str | None,
        Query(max_length=40, description="a pandas alias (MS, W-MON …); inferred when absent"),
    ] = None,
    series_column: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="long format: the series id column"),
    ] = None,
) -> Dataset:
    """A CSV with a timestamp column and numeric columns; errors name the row or column and
    the option that fixes it. ``columns`` keeps only those named (a text column is left out);
    ``fill_gaps`` fills short gaps by linear interpolation (``filled_rows`` says how many).
    The frequency is a calendar offset inferred from the timestamps (``frequency`` overrides
    it). ``series_column`` makes it a panel: many series in long format, rows in any order.

    Use it in a spec with ``dataset: <id>`` and ``target: <column>``.
    """
    chosen = None
    if columns:
        chosen = tuple(c.strip() for given in columns for c in given.split(",") if c.strip())
    options = UploadOptions(timestamp_column, chosen, fill_gaps, start, frequency, series_column)
    folder = dataset_path(settings, "-").parent
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".upload-{secrets.token_hex(8)}"
    received, canonical = staging.with_suffix(".received"), staging.with_suffix(".partial")
    try:
        # The body goes to a file as it arrives and the worker process reads it there: a large
        # upload never sits whole in this process nor is copied between processes, which had
        # stalled the reads served meanwhile (bench/api_load.py).
        with received.open("wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
        # Parsing takes seconds of CPU: in a worker process, so reads go on meanwhile.
        validated = await in_process(validate_csv_file, received, canonical, options)
        created = await off_loop(_store_upload, validated, name, canonical, store, settings)
    finally:
        received.unlink(missing_ok=True)
        canonical.unlink(missing_ok=True)
    note_write()
    return created


def _store_upload(
    validated: ValidatedDataset, name: str, canonical: Path, store: Store, settings: Settings
) -> Dataset:
    record = store.create_dataset(name, validated)
    canonical.replace(dataset_path(settings, record.id))  # never half-written under its name
    return Dataset.model_validate(record)


@router.get("", response_model=DatasetPage)
async def list_datasets(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> DatasetPage:
    records = await off_loop(store.list_datasets, limit=limit, offset=offset)
    items = [Dataset.model_validate(r) for r in records]
    return DatasetPage(items=items, limit=limit, offset=offset)


@router.delete(
    "/{dataset_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"model": Error}, 409: {"model": Error}},
)
async def delete_dataset(dataset_id: str, store: StoreDep, settings: SettingsDep) -> Response:
    """Deletes an uploaded data set and its file. 409 while a queued or running experiment
    uses it."""
    await off_loop(remove_dataset, store, settings, dataset_id)
    note_write()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
