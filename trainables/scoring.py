"""Forecast measures and naive baselines (DESIGN §6.3), as pure numpy functions.

Every measure is taken on the unscaled target over the forecast steps. A baseline forecasts
y[t+h] from the past only: ``naive`` repeats the last value, ``seasonal_naive_P`` takes the
value one season back, y[t + h − P·ceil(h/P)], wrapping to earlier seasons when h > P. The
seasonal periods are those the field uses for the data's calendar frequency (DESIGN §6.3):
a day, a week and a year in steps for minutes, hours and days; 5 for business days, 52 for
weeks, 12 for months, 4 for quarters.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from trainables.measures import MEASURES, PERCENT_MEASURES
from tuner.core.frequency import fixed_seconds, offset_of

SEASONS = {"day": 86_400, "week": 7 * 86_400, "year": 365 * 86_400}
# Seasons a year (or week) holds, by calendar offset: what one step of n of them is divided by.
CALENDAR_SEASONS = {
    "BusinessDay": (5,),
    "Week": (52,),
    "MonthBegin": (12,),
    "MonthEnd": (12,),
    "QuarterBegin": (4,),
    "QuarterEnd": (4,),
}


def _mae(error: np.ndarray, actual: np.ndarray, predicted: np.ndarray, axis: int | None) -> object:
    return np.mean(np.abs(error), axis=axis)


def _rmse(error: np.ndarray, actual: np.ndarray, predicted: np.ndarray, axis: int | None) -> object:
    return np.sqrt(np.mean(error**2, axis=axis))


def _mape(error: np.ndarray, actual: np.ndarray, predicted: np.ndarray, axis: int | None) -> object:
    return 100.0 * np.mean(np.abs(error) / np.abs(actual), axis=axis)


def _smape(
    error: np.ndarray, actual: np.ndarray, predicted: np.ndarray, axis: int | None
) -> object:
    return 200.0 * np.mean(np.abs(error) / (np.abs(actual) + np.abs(predicted)), axis=axis)


_MEASURE_FUNCTIONS: dict[str, Callable[..., object]] = {
    "mae": _mae,
    "rmse": _rmse,
    "mape": _mape,
    "smape": _smape,
}


def measure(
    name: str,
    predicted: np.ndarray,
    actual: np.ndarray,
    mase_scale: float = math.nan,
    axis: int | None = None,
) -> object:
    """One measure of ``predicted`` against ``actual`` (same shape); per horizon step with
    ``axis=0`` on (origins, horizon) arrays. ``mase`` is the MAE over ``mase_scale``."""
    if name not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, got {name!r}")
    error = predicted - actual
    if name == "mase":
        return _mae(error, actual, predicted, axis) / mase_scale
    return _MEASURE_FUNCTIONS[name](error, actual, predicted, axis)


def defined_measures(target: np.ndarray) -> tuple[str, ...]:
    """The measures this target allows: no percentages when it has zeros or changes sign."""
    percent_ok = bool(np.all(target > 0) or np.all(target < 0))
    return tuple(m for m in MEASURES if percent_ok or m not in PERCENT_MEASURES)


def seasonal_periods(frequency: str, train_steps: int) -> list[int]:
    """The seasonal periods, in steps, that the frequency has and that the training period
    holds twice; shortest first. Minutes, hours and days: a day, a week and a year wherever the
    step divides them into a whole number >= 2; weekly data's year is 52 weeks, as the field
    counts it (365 days are not a whole number of weeks)."""
    seconds = fixed_seconds(frequency)
    if seconds is not None:
        candidates = [whole for whole, rest in (divmod(s, seconds) for s in SEASONS.values())
                      if rest == 0]
    else:
        offset = offset_of(frequency)
        seasons = CALENDAR_SEASONS.get(type(offset).__name__, ())
        candidates = [s // offset.n for s in seasons if s % offset.n == 0]
    return [p for p in candidates if 2 <= p <= train_steps // 2]


def no_season_note(frequency: str, train_steps: int) -> str | None:
    """Why only the last value is a baseline, where the frequency has seasons the training
    period is too short to hold twice (None where one fits, or the frequency has none)."""
    if seasonal_periods(frequency, train_steps):
        return None
    wanted = seasonal_periods(frequency, 10**9)
    if not wanted:
        return f"{frequency} data has no seasonal period; the baseline is the last value"
    return (
        f"no seasonal period fits: {frequency} data's shortest season, {min(wanted)} steps, "
        f"needs a training period of {2 * min(wanted)} steps and it has {train_steps}; the "
        "baseline is the last value, which also scales MASE"
    )


def baseline_candidates(frequency: str, train_steps: int) -> dict[str, int]:
    """Each baseline's name and period (1 for the last value)."""
    return {"naive": 1} | {
        f"seasonal_naive_{p}": p for p in seasonal_periods(frequency, train_steps)
    }


def baseline_forecast(
    target: np.ndarray, origins: np.ndarray, horizon: int, period: int
) -> np.ndarray:
    """(origins, horizon): y[t + h − P·ceil(h/P)] for each origin t and step h = 1..horizon."""
    steps = np.arange(1, horizon + 1)
    back = period * np.ceil(steps / period).astype(int)
    lagged = origins[:, None] + steps[None, :] - back[None, :]
    if lagged.min() < 0:
        raise ValueError(f"period {period} reaches before the start of the series")
    return target[lagged]


def mase_scale(train_target: np.ndarray, period: int) -> float:
    """The in-sample MAE of the seasonal naive with ``period`` on the training period."""
    if len(train_target) <= period:
        raise ValueError(f"the training period is not longer than the period {period}")
    scale = float(np.mean(np.abs(train_target[period:] - train_target[:-period])))
    if scale == 0.0:
        return math.nan  # a constant training period: MASE is undefined
    return scale


def skill(model_value: float, baseline_value: float) -> float | None:
    """1 − model/baseline: above 0 when the model beats its baseline; None when the baseline
    is exact (no model can beat it) or either value is not a number."""
    if baseline_value == 0 or not math.isfinite(model_value) or not math.isfinite(baseline_value):
        return None
    return 1.0 - model_value / baseline_value
