"""Validation of uploaded CSV data sets; every refusal names the row or the column. A data set
is a CSV with a timestamp column on a calendar frequency, and numeric columns with no gaps:
one becomes the spec's ``target``, the others covariates. A panel holds many series in long
format, named by a series column; the canonical file then starts with ``series``."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tuner.core.frequency import infer_frequency, nominal_seconds, offset_of
from tuner.core.gaps import check_missing, on_grid
from tuner.errors import DataError

TIMESTAMP_COLUMN = "timestamp"
SERIES_COLUMN = "series"  # a panel's series id, in the canonical file
MIN_ROWS = 48
MIN_SERIES_ROWS = 10  # each series of a panel

MIXED_SIGNS = "zeros or sign changes"  # a column that has both signs, or zeros


@dataclass(frozen=True)
class ValidatedDataset:
    """What is known of an upload once checked; the canonical CSV itself (the timestamp column
    first, ISO timestamps) is written to a file, so only this small record crosses processes."""

    rows: int
    columns: list[str]  # the numeric columns, in file order
    frequency_seconds: int  # nominal (a month: its mean length); steps use ``frequency``
    start: datetime
    end: datetime
    sha256: str
    size_bytes: int
    column_signs: dict[str, str]  # "positive", "negative" or MIXED_SIGNS, per column
    filled_rows: int = 0  # steps that held a missing value, filled by interpolation
    frequency: str = "h"  # a pandas offset alias: h, D, W-SUN, MS, QE-DEC …
    series_column: str | None = None  # the upload's series column: a panel
    series: list[list[Any]] | None = None  # a panel's [id, first timestamp, rows] per series


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
    frequency: str | None = None  # a pandas alias; inferred from the timestamps when None
    series_column: str | None = None  # long format: the column naming each row's series


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
    (and, in a panel, the series) and, where one exists, the option that fixes it."""
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
    for option, name in (("timestamp_column", options.timestamp_column),
                         ("series_column", options.series_column)):
        if name is not None and name not in frame.columns:
            raise DataError(
                f"no column {name!r}; columns are {list(frame.columns)} "
                f"(name the {option.split('_')[0]} column with the {option} parameter)"
            )
    columns = _chosen_columns(frame, options)
    if len(frame) < MIN_ROWS:
        raise DataError(f"only {len(frame)} rows; a data set needs at least {MIN_ROWS}")
    frame["_row"] = range(2, len(frame) + 2)  # the file's own row numbers, for messages
    stamps = _timestamps(
        frame[options.timestamp_column], options.timestamp_column, options.series_column is None
    )
    frame[TIMESTAMP_COLUMN + "_"] = stamps.to_numpy()
    if options.start is not None:
        frame = frame[(stamps >= _as_stamp(options.start, stamps)).to_numpy()]
        if len(frame) < MIN_ROWS:
            raise DataError(
                f"only {len(frame)} rows from start={options.start}; a data set needs at least "
                f"{MIN_ROWS}"
            )
    values = pd.DataFrame({c: _numbers(frame, c) for c in columns}, index=frame.index)
    pieces = _series_pieces(frame, options.series_column)
    frequency = options.frequency or _infer(frame, pieces)
    offset_of(frequency)  # an unknown alias is refused before any series is read
    filled = [_one_series(frame, values, rows, frequency, options, name) for name, rows in pieces]
    panel = pd.concat([piece for piece, _ in filled])
    filled_rows = sum(count for _, count in filled)
    shapes = [
        [name, piece[TIMESTAMP_COLUMN].iloc[0].isoformat(), len(piece)]
        for (name, _), (piece, _) in zip(pieces, filled, strict=True)
    ]
    stamps_all = panel[TIMESTAMP_COLUMN]
    panel[TIMESTAMP_COLUMN] = stamps_all.dt.strftime("%Y-%m-%d %H:%M:%S")
    canonical = panel.to_csv(index=False).encode()
    return canonical, ValidatedDataset(
        rows=len(panel),
        columns=[str(c) for c in columns],
        frequency_seconds=nominal_seconds(frequency),
        start=stamps_all.min().to_pydatetime(),
        end=stamps_all.max().to_pydatetime(),
        sha256=hashlib.sha256(canonical).hexdigest(),
        size_bytes=len(canonical),
        column_signs={str(c): _sign(panel[c]) for c in columns},
        filled_rows=filled_rows,
        frequency=frequency,
        series_column=options.series_column,
        series=shapes if options.series_column else None,
    )


def _series_pieces(frame: Any, series_column: str | None) -> list[tuple[str | None, Any]]:
    """Each series' rows (the frame's index labels), in timestamp order; one piece without a
    series column. A panel's rows may come in any order; a series may not repeat a stamp."""
    stamp = TIMESTAMP_COLUMN + "_"
    if series_column is None:
        return [(None, frame.index)]
    ids = frame[series_column]
    if ids.isna().any():
        row = int(frame["_row"][ids.isna()].iloc[0])
        raise DataError(f"row {row}, column {series_column!r}: the series id is missing")
    pieces = []
    for name, part in frame.groupby(ids.astype(str), sort=True):
        part = part.sort_values(stamp, kind="stable")
        twice = part[stamp].duplicated()
        if twice.any():
            row = int(part["_row"][twice].iloc[0])
            raise DataError(
                f"series {name!r}, row {row}: duplicate timestamp {part[stamp][twice].iloc[0]}"
            )
        if len(part) < MIN_SERIES_ROWS:
            raise DataError(
                f"series {name!r} has only {len(part)} rows; each series needs at least "
                f"{MIN_SERIES_ROWS} (leave it out of the file, or join it to a longer one)"
            )
        pieces.append((str(name), part.index))
    return pieces


def _infer(frame: Any, pieces: list[tuple[str | None, Any]]) -> str:
    """The frequency the longest series follows (every other is then checked against it)."""
    longest = max((rows for _, rows in pieces), key=len)
    return infer_frequency(frame.loc[longest, TIMESTAMP_COLUMN + "_"])


def _one_series(
    frame: Any, values: Any, rows: Any, frequency: str, options: UploadOptions, name: str | None
) -> tuple[Any, int]:
    """One series on its full calendar, its short gaps filled, and how many steps were."""
    stamps = frame.loc[rows, TIMESTAMP_COLUMN + "_"].reset_index(drop=True)
    numbers = frame.loc[rows, "_row"].to_numpy()
    where = f"series {name!r}, " if name is not None else ""
    calendar = on_grid(stamps, frequency, options.fill_gaps, numbers, where)
    own = values.loc[rows]
    own.index = calendar[calendar.get_indexer(stamps)]
    own = own.reindex(calendar)
    filled = int(own.isna().any(axis=1).sum())
    if filled:
        check_missing(own, stamps, options.fill_gaps, numbers, where)
        own = own.interpolate(method="linear", limit_area="inside")
    piece = own.reset_index(names=TIMESTAMP_COLUMN)
    if name is not None:
        piece.insert(0, SERIES_COLUMN, name)
    return piece, filled


def _separator(content: bytes) -> str:
    """The header line's separator: the first of , ; tab | that it holds (a comma else)."""
    header = content.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    counts = {sep: header.count(sep.encode()) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _chosen_columns(frame: Any, options: UploadOptions) -> list[str]:
    named = (options.timestamp_column, options.series_column)
    present = [str(c) for c in frame.columns if c not in named]
    canonical = [(TIMESTAMP_COLUMN, options.timestamp_column)]
    if options.series_column is not None:
        canonical.append((SERIES_COLUMN, options.series_column))
    for column, source in canonical:
        if source == column or column not in present:
            continue
        # The stored data set names its time (and series) column so: a value column of
        # that name would be a second one.
        if options.columns is None or column in options.columns:
            raise DataError(
                f"a value column is named {column!r} while the {column}s are in {source!r}; "
                "rename that column, or leave it out with columns= "
                f"(e.g. columns={','.join(c for c in present if c != column)})"
            )
        present.remove(column)
    if options.columns is None:
        if not present:
            raise DataError("no value columns besides the timestamp; add the target column")
        return present
    missing = [c for c in options.columns if c not in present]
    if missing:
        raise DataError(f"no column {', '.join(map(repr, missing))}; columns are {present}")
    return list(dict.fromkeys(options.columns))


def _timestamps(column: Any, name: str, ordered: bool = True) -> Any:
    """Timestamps as UTC without a zone; ``ordered``: strictly increasing (one series)."""
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
    if not ordered:
        return stamps
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


def _numbers(frame: Any, column: str) -> Any:
    import pandas as pd

    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise DataError(
            f"row {frame['_row'].iloc[row]}, column {column!r}: {frame[column].iloc[row]!r} "
            "is not a number "
            "(a text column? leave it out by choosing the columns to keep with columns=...)"
        )
    infinite = values.abs() == float("inf")
    if infinite.any():
        row = int(infinite.to_numpy().argmax())
        raise DataError(
            f"row {frame['_row'].iloc[row]}, column {column!r}: {values.iloc[row]} is not a finite "
            "number; replace it with a measured value"
        )
    return values.to_numpy()


def _sign(values: Any) -> str:
    if bool((values > 0).all()):
        return "positive"
    if bool((values < 0).all()):
        return "negative"
    return MIXED_SIGNS
