"""Frequencies as calendar offsets (DESIGN §6.1): pandas aliases such as ``30min``, ``h``,
``D``, ``B``, ``W-SUN``, ``MS``, ``ME``, ``QS-JAN``, ``QE-DEC``, ``YS-JAN``. A month is not a
number of seconds, so every step computation walks the offset's own calendar."""

from __future__ import annotations

import warnings
from typing import Any

from tuner.errors import DataError

DAY_SECONDS = 86_400
# Nominal lengths, for display and ordering only: no step computation uses them.
_NOMINAL_DAYS = {
    "BusinessDay": 1.0,
    "Week": 7.0,
    "MonthBegin": 30.436875,
    "MonthEnd": 30.436875,
    "QuarterBegin": 91.310625,
    "QuarterEnd": 91.310625,
    "YearBegin": 365.2425,
    "YearEnd": 365.2425,
}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def offset_of(frequency: str) -> Any:
    """The pandas offset of an alias; :class:`DataError` names an unknown one."""
    from pandas.tseries.frequencies import to_offset

    try:
        return to_offset(frequency)
    except (ValueError, TypeError):
        raise DataError(
            f"frequency {frequency!r} is not a pandas frequency alias; use one such as 30min, "
            "h, D, B, W-SUN, MS, ME, QS-JAN, QE-DEC, YS-JAN or YE-DEC"
        ) from None


def nominal_seconds(frequency: str) -> int:
    """About how long one step is (a month: its mean length); for display only."""
    import pandas as pd

    offset = offset_of(frequency)
    if isinstance(offset, pd.offsets.Tick):
        return int(offset.nanos // 1_000_000_000)
    if type(offset).__name__ == "Day":
        return offset.n * DAY_SECONDS
    days = _NOMINAL_DAYS.get(type(offset).__name__)
    if days is None:  # an offset pandas inferred that has no entry here (e.g. WOM-1MON)
        base = offset.rollforward(pd.Timestamp("2000-01-01"))
        return int(((base + offset) - base).total_seconds())
    return round(offset.n * days * DAY_SECONDS)


def fixed_seconds(frequency: str) -> int | None:
    """The step in seconds where every step has the same length (minutes, hours, days)."""
    import pandas as pd

    offset = offset_of(frequency)
    if isinstance(offset, pd.offsets.Tick):
        return int(offset.nanos // 1_000_000_000)
    return offset.n * DAY_SECONDS if type(offset).__name__ == "Day" else None


def infer_frequency(stamps: Any) -> str:
    """The frequency of sorted, distinct timestamps that may have gaps: pandas' own inference
    where the stamps are exactly regular, else the most common step anchored as the stamps
    are (a weekday for weeks, month starts or ends, a quarter's or year's first month)."""
    import pandas as pd

    index = pd.DatetimeIndex(stamps)
    if len(index) >= 3:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inferred = pd.infer_freq(index)
        if inferred is not None:
            return str(getattr(inferred, "freqstr", inferred))
    steps = index[1:] - index[:-1]
    step = pd.Series(steps).mode().iloc[0]
    days = step / pd.Timedelta(days=1)
    first = index[0]
    if step < pd.Timedelta(days=28) and step != pd.Timedelta(days=7):
        weekdays_only = bool((index.dayofweek < 5).all())
        if step == pd.Timedelta(days=1) and weekdays_only and (steps == pd.Timedelta(days=3)).any():
            return "B"
        from pandas.tseries.frequencies import to_offset

        alias = to_offset(step).freqstr
        return "D" if alias == "24h" else alias
    if step == pd.Timedelta(days=7):
        return f"W-{_WEEKDAYS[first.dayofweek]}"
    anchored = {28 <= days <= 31: ("MS", "ME"), 89 <= days <= 92: ("QS", "QE")}
    anchored[365 <= days <= 366] = ("YS", "YE")
    if True in anchored:
        starts, ends = anchored[True]
        month = _anchor_month(starts, first.month)
        # Most stamps decide: one off the calendar is then named by its row (gaps.on_grid).
        if float(index.is_month_start.mean()) > 0.5:
            return starts if starts == "MS" else f"{starts}-{month}"
        if float(index.is_month_end.mean()) > 0.5:
            end_month = _anchor_month(ends, first.month)
            return ends if ends == "ME" else f"{ends}-{end_month}"
    raise DataError(
        f"the most common step, {step}, is no calendar frequency these timestamps follow "
        "(monthly, quarterly and yearly data must be on month starts or month ends); give the "
        "frequency with frequency= (e.g. frequency=MS)"
    )


def _anchor_month(kind: str, month: int) -> str:
    """The month a quarterly or yearly alias is anchored on, given the first stamp's month:
    QS- names a quarter's first month, QE- its last, YS-/YE- the stamp's own month."""
    if kind == "QS":
        return _MONTHS[(month - 1) % 3]
    if kind == "QE":
        return _MONTHS[9 + (month - 1) % 3]
    return _MONTHS[month - 1]


def grid(first: Any, periods: int, frequency: str) -> Any:
    """``periods`` steps of the frequency from ``first`` (a DatetimeIndex)."""
    import pandas as pd

    return pd.date_range(first, periods=periods, freq=offset_of(frequency))


def steps_after(first: Any, frequency: str, steps: int) -> Any:
    """The ``steps`` timestamps that follow ``first`` (a forecast's), on the frequency."""
    return grid(first, steps + 1, frequency)[1:]
