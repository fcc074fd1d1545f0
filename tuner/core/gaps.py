"""An upload's calendar and its gaps: every timestamp must lie on the frequency's grid, and a
gap (a step missing, or a cell left empty) is filled only where ``fill_gaps`` allows. Every
refusal names the file's row, and, for a panel, the series; the advice fixes all gaps at once."""

from __future__ import annotations

from typing import Any

from tuner.core.frequency import offset_of
from tuner.errors import DataError


def on_grid(stamps: Any, frequency: str, fill_gaps: int, rows: Any, where: str = "") -> Any:
    """The full grid from the first stamp to the last; ``rows`` are the file's row numbers of
    ``stamps``. Refuses a stamp off the grid and a run of missing steps over ``fill_gaps``."""
    import numpy as np
    import pandas as pd

    calendar = pd.date_range(stamps.iloc[0], stamps.iloc[-1], freq=offset_of(frequency))
    positions = calendar.get_indexer(pd.DatetimeIndex(stamps))
    if len(calendar) == 0 or positions[0] != 0 or (positions < 0).any():
        row = 0 if len(calendar) == 0 or positions[0] != 0 else int(np.argmax(positions < 0))
        raise DataError(
            f"{where}row {rows[row]}: timestamp {stamps.iloc[row]} is not on the {frequency} "
            f"calendar the data follows (it starts {stamps.iloc[0]}); fix that timestamp, or "
            "give the frequency with frequency= if it was inferred wrongly"
        )
    missing = np.diff(positions) - 1
    too_long = missing > fill_gaps
    if too_long.any():
        at = int(np.argmax(too_long)) + 1
        gapped = missing > 0
        advice = longest_gap_advice(missing[gapped], list(stamps.iloc[1:][gapped]), fill_gaps)
        raise DataError(
            f"{where}row {rows[at]}: the step to {stamps.iloc[at]} skips "
            f"{int(missing[at - 1])} step(s) of {frequency}{advice}"
        )
    return calendar


def longest_gap_advice(lengths: Any, ends: list[Any], fill_gaps: int) -> str:
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


def check_missing(
    values: Any, stamps: Any, fill_gaps: int, rows: Any, where: str = ""
) -> None:
    """Missing values (a cell left empty, or a step missing from the file) are filled only in
    runs of at most ``fill_gaps`` steps, and never at either end."""
    import numpy as np

    row_of = {stamp: rows[i] for i, stamp in enumerate(stamps)}
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
        at = f"row {row_of[first]}" if first in row_of else f"the missing step {first}"
        inner = [i for i in range(len(starts)) if starts[i] > 0 and ends[i] < len(missing)]
        hint = (
            "; nothing before or after it to fill from: drop those rows (start=) or fill them in"
            if at_end
            else longest_gap_advice(
                lengths[inner],
                [values.index[min(int(ends[i]), len(missing) - 1)] for i in inner],
                fill_gaps,
            )
        )
        raise DataError(f"{where}{at}, column {column!r}: the value is missing{hint}")
