"""Commands for uploaded data sets: upload and list (delete is in :mod:`tuner.cli.manage`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from tuner.cli.app import console
from tuner.cli.remote import AsJson, Token, Url, _client, _emit, data_app


@data_app.command("upload")
def data_upload(
    csv_file: Annotated[Path, typer.Argument(help="CSV: a timestamp column, numeric columns")],
    name: Annotated[str | None, typer.Option(help="default: the file's name")] = None,
    timestamp_column: Annotated[str | None, typer.Option(help="default: timestamp")] = None,
    columns: Annotated[
        str | None, typer.Option(help="keep only these, comma-separated (e.g. leave text out)")
    ] = None,
    fill_gaps: Annotated[
        int | None, typer.Option(help="fill up to this many missing steps in a row")
    ] = None,
    start: Annotated[
        datetime | None, typer.Option(help="leave out the rows before this time")
    ] = None,
    frequency: Annotated[
        str | None, typer.Option(help="a pandas alias (MS, W-MON, B …); default: inferred")
    ] = None,
    series_column: Annotated[
        str | None, typer.Option(help="a panel in long format: the column naming each series")
    ] = None,
    as_json: AsJson = False,
    url: Url = None,
    token: Token = None,
) -> None:
    """Upload a data set; use its id as `dataset:` in a spec."""
    chosen = [c for c in columns.split(",") if c] if columns else None
    dataset = _client(url, token).upload_dataset(
        csv_file,
        name,
        timestamp_column,
        columns=chosen,
        fill_gaps=fill_gaps,
        start=start,
        frequency=frequency,
        series_column=series_column,
    )
    if as_json:
        return _emit(dataset)
    filled = f"; {dataset.filled_rows} rows filled" if dataset.filled_rows else ""
    panel = f" in {dataset.series_count} series" if dataset.series_column else ""
    console.print(
        f"data set {dataset.id} ({dataset.name}): {dataset.rows} rows{panel} at "
        f"{dataset.frequency}, columns {', '.join(dataset.columns)}{filled}",
        highlight=False,
    )


@data_app.command("list")
def data_list(as_json: AsJson = False, url: Url = None, token: Token = None) -> None:
    """Uploaded data sets."""
    datasets = _client(url, token).datasets()
    if as_json:
        return _emit(datasets)
    for d in datasets:
        series = f" in {d.series_count} series" if d.series_column else ""
        console.print(
            f"{d.id}  {d.name}  {d.rows} rows{series}  {d.frequency}  {', '.join(d.columns)}",
            highlight=False,
        )
