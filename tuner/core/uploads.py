"""Validation of uploaded CSV data sets; every refusal names the row or the column. A data set
is a CSV with a timestamp column, strictly increasing at a regular frequency, and numeric
columns with no gaps: one becomes the spec's ``target``, the others covariates."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tuner.errors import DataError

TIMESTAMP_COLUMN = "timestamp"
MIN_ROWS = 48

MIXED_SIGNS = "zeros or sign changes"  # a column that has both signs, or zeros


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
    filled_rows: int = 0  # steps that held a missing value, filled by interpolation


def dataset_path(settings: Any, dataset_id: str) -> Path:
    # Beside run artifacts: on a cluster that path is the one every node sees.
    return Path(settings.resolved_storage_path) / "_datasets" / f"{dataset_id}.csv"


@dataclass(frozen=True)
class UploadOptions:
    """How to read an upload (DESIGN §6.1)."""

    timestamp_column: str = TIMESTAMP_COLUMN
    columns: tuple[str, ...] | None = None  # keep only these (others are ignored, not refused)
    fill_gaps: int = 0  # fill up to this many missing steps in a row by linear interpolation
    start: datetime | None = None  # drop the rows before this time (a bad early stretch)


def validate_csv_file(
    source: Path, destination: Path, options: UploadOptions | None = None
) -> ValidatedDataset:
    """Checks the upload in ``source`` and writes its canonical form to ``destination``: run in
    a worker process, it takes seconds of CPU for a large file and nothing big comes back."""
    canonical, validated = validate_csv(source.read_bytes(), options)
    destination.write_bytes(canonical)
    return validated


def validate_csv(
    content: bytes, options: UploadOptions | None = None
) -> tuple[bytes, ValidatedDataset]:
    """The canonical CSV and what is known of it; :class:`DataError` names the row or column
    and, where one exists, the option that fixes it."""
    import numpy as np
    import pandas as pd

    options = options or UploadOptions()
    if not content.strip():
        raise DataError("the upload is empty; send a CSV with a header row")
    try:
        # utf-8-sig: a spreadsheet's byte-order mark is not part of the first column's name.
        frame = pd.read_csv(io.BytesIO(content), sep=_separator(content), encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"not a readable CSV file: {err}") from None
    frame.columns = [str(c) for c in frame.columns]
    stamp_column = options.timestamp_column
    if stamp_column not in frame.columns:
        raise DataError(
            f"no column {stamp_column!r}; columns are {list(frame.columns)} "
            "(name the timestamp column with the timestamp_column parameter)"
        )
    columns = _chosen_columns(frame, options)
    if len(frame) < MIN_ROWS:
        raise DataError(f"only {len(frame)} rows; a data set needs at least {MIN_ROWS}")
    stamps = _timestamps(frame[stamp_column], stamp_column)
    offset = 0  # rows dropped before ``start``: messages still name the file's own rows
    if options.start is not None:
        kept = (stamps >= _as_stamp(options.start, stamps)).to_numpy()
        offset = int(np.argmax(kept)) if kept.any() else len(kept)
        frame, stamps = frame.iloc[offset:], stamps.iloc[offset:].reset_index(drop=True)
        if len(frame) < MIN_ROWS:
            raise DataError(
                f"only {len(frame)} rows from start={options.start}; a data set needs at least "
                f"{MIN_ROWS}"
            )
    step = _regular_step(stamps, options.fill_gaps, offset)
    values = pd.DataFrame({c: _numbers(frame, c) for c in columns})
    values.index = pd.DatetimeIndex(stamps)
    grid = pd.date_range(stamps.iloc[0], stamps.iloc[-1], freq=step)
    values = values.reindex(grid)
    gaps = values.isna().any(axis=1)
    filled_rows = int(gaps.sum())
    if filled_rows:
        _check_gaps(values, stamps, options.fill_gaps, offset)
        values = values.interpolate(method="linear", limit_area="inside")
    frame = values.reset_index(names=TIMESTAMP_COLUMN)
    frame[TIMESTAMP_COLUMN] = frame[TIMESTAMP_COLUMN].dt.strftime("%Y-%m-%d %H:%M:%S")
    canonical = frame.to_csv(index=False).encode()
    return canonical, ValidatedDataset(
        rows=len(frame),
        columns=[str(c) for c in columns],
        frequency_seconds=int(step.total_seconds()),
        start=grid[0].to_pydatetime(),
        end=grid[-1].to_pydatetime(),
        sha256=hashlib.sha256(canonical).hexdigest(),
        size_bytes=len(canonical),
        column_signs={str(c): _sign(values[c]) for c in columns},
        filled_rows=filled_rows,
    )


def _separator(content: bytes) -> str:
    """The header line's separator: the first of , ; tab | that it holds (a comma else)."""
    header = content.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    counts = {sep: header.count(sep.encode()) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _chosen_columns(frame: Any, options: UploadOptions) -> list[str]:
    present = [str(c) for c in frame.columns if c != options.timestamp_column]
    if options.timestamp_column != TIMESTAMP_COLUMN and TIMESTAMP_COLUMN in present:
        # The stored data set names its time column `timestamp`: a value column of that name
        # would be a second one.
        wanted = options.columns is None or TIMESTAMP_COLUMN in options.columns
        if wanted:
            raise DataError(
                f"a value column is named {TIMESTAMP_COLUMN!r} while the timestamps are in "
                f"{options.timestamp_column!r}; rename that column, or leave it out with "
                f"columns= (e.g. columns={','.join(c for c in present if c != TIMESTAMP_COLUMN)})"
            )
        present.remove(TIMESTAMP_COLUMN)
    if options.columns is None:
        if not present:
            raise DataError("no value columns besides the timestamp; add the target column")
        return present
    missing = [c for c in options.columns if c not in present]
    if missing:
        raise DataError(f"no column {', '.join(map(repr, missing))}; columns are {present}")
    return list(dict.fromkeys(options.columns))


def _timestamps(column: Any, name: str) -> Any:
    import pandas as pd

    # Offsets (+01:00, Z), even mixed ones, become UTC; timestamps without one are kept as
    # they are (read as UTC, stored without a zone).
    try:
        stamps = pd.to_datetime(column, errors="coerce", format="mixed", utc=True)
    except (ValueError, TypeError, OverflowError) as err:
        raise DataError(f"column {name!r}: not readable as timestamps ({err})") from None
    stamps = stamps.dt.tz_localize(None)
    if stamps.isna().any():
        row = int(stamps.isna().to_numpy().argmax())
        raise DataError(f"row {row + 2}, column {name!r}: {column.iloc[row]!r} is not a timestamp")
    steps = stamps.diff().iloc[1:]
    if (steps == pd.Timedelta(0)).any():
        row = int((steps == pd.Timedelta(0)).to_numpy().argmax()) + 1
        raise DataError(
            f"row {row + 2}: duplicate timestamp {stamps.iloc[row]} (a daylight-saving change? "
            "give timestamps in UTC)"
        )
    if (steps < pd.Timedelta(0)).any():
        row = int((steps < pd.Timedelta(0)).to_numpy().argmax()) + 1
        raise DataError(
            f"row {row + 2}: timestamp {stamps.iloc[row]} is earlier than the row before"
        )
    return stamps


def _as_stamp(start: datetime, stamps: Any) -> Any:
    import pandas as pd

    moment = pd.Timestamp(start)
    if moment.tzinfo is not None and stamps.dt.tz is None:
        moment = moment.tz_convert("UTC").tz_localize(None)
    return moment


def _longest_gap_advice(lengths: Any, ends: list[Any], fill_gaps: int) -> str:
    """What fixes every gap at once: the fill_gaps that covers the longest, or where to start
    so that the stretch with the gaps too long to fill is left out."""
    import numpy as np

    longest = int(np.max(lengths))
    too_long = [end for length, end in zip(lengths, ends, strict=True) if length > fill_gaps]
    cut = too_long[-1] if too_long else ends[int(np.argmax(lengths))]
    return (
        f"; the longest gap is {longest} missing steps: fill_gaps={longest} fills every gap, "
        f"or start={cut} leaves out everything before the last gap too long to fill"
    )


def _regular_step(stamps: Any, fill_gaps: int, offset: int = 0) -> Any:
    """The most common step; every other must be a whole number of it, and then a gap of at
    most ``fill_gaps`` missing steps."""
    steps = stamps.diff().iloc[1:]
    step = steps.mode().iloc[0]
    multiples = steps / step
    uneven = (multiples != multiples.round()).to_numpy()
    if uneven.any():
        row = int(uneven.argmax()) + 1
        raise DataError(
            f"row {row + 2 + offset}: the step to {stamps.iloc[row]} is {steps.iloc[row - 1]}, "
            f"not the regular {step}; fill gaps so that the frequency is regular"
        )
    missing = (multiples - 1).to_numpy()
    too_long = missing > fill_gaps
    if too_long.any():
        row = int(too_long.argmax()) + 1
        gapped = missing > 0
        advice = _longest_gap_advice(missing[gapped], list(stamps.iloc[1:][gapped]), fill_gaps)
        raise DataError(
            f"row {row + 2 + offset}: the step to {stamps.iloc[row]} is {steps.iloc[row - 1]}, "
            f"not the regular {step} ({int(missing[row - 1])} missing steps){advice}"
        )
    return step


def _numbers(frame: Any, column: str) -> Any:
    import pandas as pd

    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise DataError(
            f"row {row + 2}, column {column!r}: {frame[column].iloc[row]!r} is not a number "
            "(a text column? leave it out by choosing the columns to keep with columns=...)"
        )
    infinite = values.abs() == float("inf")
    if infinite.any():
        row = int(infinite.to_numpy().argmax())
        raise DataError(
            f"row {row + 2}, column {column!r}: {values.iloc[row]} is not a finite "
            "number; replace it with a measured value"
        )
    return values.to_numpy()


def _check_gaps(values: Any, stamps: Any, fill_gaps: int, offset: int = 0) -> None:
    """Missing values (a cell left empty, or a step missing from the file) are filled only in
    runs of at most ``fill_gaps`` steps, and never at either end."""
    import numpy as np

    rows = {stamp: row for row, stamp in enumerate(stamps)}
    for column in values.columns:
        missing = values[column].isna().to_numpy()
        if not missing.any():
            continue
        edges = np.diff(np.concatenate(([0], missing.astype(np.int8), [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        lengths = ends - starts
        at_end = bool(missing[0] or missing[-1])
        if lengths.max() <= fill_gaps and not at_end:
            continue
        # The gap to name: one at either end (nothing to interpolate from), else the first
        # one longer than allowed.
        gap = (
            (0 if missing[0] else len(starts) - 1)
            if at_end
            else int(np.argmax(lengths > fill_gaps))
        )
        first = values.index[int(starts[gap])]
        where = f"row {rows[first] + 2 + offset}" if first in rows else f"the missing step {first}"
        inner = [i for i in range(len(starts)) if starts[i] > 0 and ends[i] < len(missing)]
        hint = (
            "; nothing before or after it to fill from: drop those rows (start=) or fill them in"
            if at_end
            else _longest_gap_advice(
                lengths[inner],
                [values.index[min(int(ends[i]), len(missing) - 1)] for i in inner],
                fill_gaps,
            )
        )
        raise DataError(f"{where}, column {column!r}: the value is missing{hint}")


def _sign(values: Any) -> str:
    if bool((values > 0).all()):
        return "positive"
    if bool((values < 0).all()):
        return "negative"
    return MIXED_SIGNS
