"""Validation of uploaded CSV data sets; every refusal names the row or the column.

A data set is a CSV with a timestamp column, strictly increasing at a regular frequency, and
numeric columns with no gaps: one becomes the spec's ``target``, the others covariates.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tuner.core.measures import MIXED_SIGNS
from tuner.errors import DataError

TIMESTAMP_COLUMN = "timestamp"
MIN_ROWS = 48


@dataclass(frozen=True)
class ValidatedDataset:
    """What is known of an upload once checked; the canonical CSV itself (the timestamp column
    first, ISO timestamps) is written to a file, so only this small record crosses processes."""

    rows: int
    columns: list[str]  # the numeric columns, in file order
    frequency_seconds: int
    start: datetime
    end: datetime
    sha256: str
    size_bytes: int
    column_signs: dict[str, str]  # "positive", "negative" or MIXED_SIGNS, per column


def dataset_path(settings: Any, dataset_id: str) -> Path:
    # Beside run artifacts: on a cluster that path is the one every node sees.
    return Path(settings.resolved_storage_path) / "_datasets" / f"{dataset_id}.csv"


def validate_csv_file(
    source: Path, destination: Path, timestamp_column: str = TIMESTAMP_COLUMN
) -> ValidatedDataset:
    """Checks the upload in ``source`` and writes its canonical form to ``destination``: run in
    a worker process, it takes seconds of CPU for a large file and nothing big comes back."""
    canonical, validated = validate_csv(source.read_bytes(), timestamp_column)
    destination.write_bytes(canonical)
    return validated


def validate_csv(
    content: bytes, timestamp_column: str = TIMESTAMP_COLUMN
) -> tuple[bytes, ValidatedDataset]:
    """The canonical CSV and what is known of it; :class:`DataError` names the row or column."""
    import pandas as pd

    if not content.strip():
        raise DataError("the upload is empty; send a CSV with a header row")
    try:
        frame = pd.read_csv(io.BytesIO(content))
    except (ValueError, UnicodeDecodeError) as err:
        raise DataError(f"not a readable CSV file: {err}") from None
    if timestamp_column not in frame.columns:
        raise DataError(
            f"no column {timestamp_column!r}; columns are {list(frame.columns)} "
            "(name the timestamp column with the timestamp_column parameter)"
        )
    if len(frame) < MIN_ROWS:
        raise DataError(f"only {len(frame)} rows; a data set needs at least {MIN_ROWS}")
    stamps = pd.to_datetime(frame[timestamp_column], errors="coerce", format="mixed")
    if stamps.isna().any():
        row = int(stamps.isna().to_numpy().argmax())
        value = frame[timestamp_column].iloc[row]
        raise DataError(f"row {row + 2}, column {timestamp_column!r}: {value!r} is not a timestamp")
    steps = stamps.diff().iloc[1:]
    if (steps == pd.Timedelta(0)).any():
        row = int((steps == pd.Timedelta(0)).to_numpy().argmax()) + 1
        raise DataError(f"row {row + 2}: duplicate timestamp {stamps.iloc[row]}")
    if (steps < pd.Timedelta(0)).any():
        row = int((steps < pd.Timedelta(0)).to_numpy().argmax()) + 1
        raise DataError(
            f"row {row + 2}: timestamp {stamps.iloc[row]} is earlier than the row before"
        )
    step = steps.iloc[0]
    if (steps != step).any():
        row = int((steps != step).to_numpy().argmax()) + 1
        raise DataError(
            f"row {row + 2}: the step to {stamps.iloc[row]} is {steps.iloc[row - 1]}, "
            f"not the regular {step}; fill gaps so that the frequency is regular"
        )
    columns = [c for c in frame.columns if c != timestamp_column]
    if not columns:
        raise DataError("no value columns besides the timestamp; add the target column")
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise DataError(
                f"row {row + 2}, column {column!r}: {frame[column].iloc[row]!r} is not a number"
            )
        if values.isna().any():
            row = int(values.isna().to_numpy().argmax())
            raise DataError(f"row {row + 2}, column {column!r}: the value is missing")
        infinite = values.abs() == float("inf")
        if infinite.any():
            row = int(infinite.to_numpy().argmax())
            raise DataError(
                f"row {row + 2}, column {column!r}: {values.iloc[row]} is not a finite "
                "number; replace it with a measured value"
            )
        frame[column] = values
    frame[timestamp_column] = stamps.dt.strftime("%Y-%m-%d %H:%M:%S")
    frame = frame.rename(columns={timestamp_column: TIMESTAMP_COLUMN})[[TIMESTAMP_COLUMN, *columns]]
    canonical = frame.to_csv(index=False).encode()
    return canonical, ValidatedDataset(
        rows=len(frame),
        columns=[str(c) for c in columns],
        frequency_seconds=int(step.total_seconds()),
        start=stamps.iloc[0].to_pydatetime(),
        end=stamps.iloc[-1].to_pydatetime(),
        sha256=hashlib.sha256(canonical).hexdigest(),
        size_bytes=len(canonical),
        column_signs={str(c): _sign(frame[c]) for c in columns},
    )


def _sign(values: Any) -> str:
    if bool((values > 0).all()):
        return "positive"
    if bool((values < 0).all()):
        return "negative"
    return MIXED_SIGNS
