"""The reference split, training-period scalers and zero-copy windows (DESIGN.md §6).

An *origin* t is the last observed hour: the input is hours t−T+1 … t of [load, temp] and the
target is load at t+1 … t+horizon. Validation and test origins cover every hour of their
period from its first hour on (inputs reach T−1 hours back into the previous period) as long
as the targets stay inside the period. Windows are ``sliding_window_view``s of one scaled
array, so building them costs no memory however large T is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from trainables.datasets import Series
from tuner.errors import DataError


@dataclass(frozen=True)
class MinMax:
    low: float
    high: float

    def scale(self, values: np.ndarray) -> np.ndarray:
        return (values - self.low) / (self.high - self.low)

    def unscale(self, values: np.ndarray) -> np.ndarray:
        return values * (self.high - self.low) + self.low


@dataclass(frozen=True)
class Windows:
    """Inputs (n, T, 1 + k), targets (n, horizon) in scaled units, and each origin's index."""

    x: np.ndarray
    y: np.ndarray
    origins: np.ndarray

    def __len__(self) -> int:
        return len(self.origins)


@dataclass(frozen=True)
class Prepared:
    series: Series
    features: np.ndarray  # (n, 1 + k) float32, scaled [target, covariates...]
    load_scaler: MinMax
    train_rows: slice  # the training period's rows of the series
    T: int
    horizon: int
    train: Windows
    valid: Windows
    test: Windows

    def actual_load(self, windows: Windows) -> np.ndarray:
        """Unscaled target load for each origin, (n, horizon), from the source series."""
        return sliding_window_view(self.series.target, self.horizon)[windows.origins + 1]


def prepare(series: Series, T: int, horizon: int, train_start: str | None = None) -> Prepared:
    if T < 1 or horizon < 1:
        raise DataError(f"T and horizon must be >= 1, got T={T}, horizon={horizon}")
    stamps = series.timestamps
    first = (
        0 if train_start is None else int(np.searchsorted(stamps, np.datetime64(train_start, "s")))
    )
    valid_at = int(np.searchsorted(stamps, series.valid_start))
    test_at = int(np.searchsorted(stamps, series.test_start))
    end = len(series)
    train_rows = slice(first, valid_at)
    load_scaler = _fit(series.target[train_rows])
    features = np.empty((end, 1 + series.covariates.shape[1]), dtype=np.float32)
    features[:, 0] = load_scaler.scale(series.target)
    for column in range(series.covariates.shape[1]):
        values = series.covariates[:, column]
        features[:, 1 + column] = _fit(values[train_rows]).scale(values)
    inputs = sliding_window_view(features, T, axis=0).transpose(0, 2, 1)  # (n−T+1, T, 1+k), a view
    targets = sliding_window_view(features[:, 0], horizon)  # (n−horizon+1, horizon), a view

    def windows(first_origin: int, period_end: int) -> Windows:
        origins = np.arange(first_origin, period_end - horizon)  # targets stay before period_end
        if len(origins) == 0:
            return Windows(inputs[:0], targets[:0], origins)
        lo, hi = origins[0], origins[-1]
        return Windows(inputs[lo - T + 1 : hi - T + 2], targets[lo + 1 : hi + 2], origins)

    prepared = Prepared(
        series=series,
        features=features,
        load_scaler=load_scaler,
        train_rows=train_rows,
        T=T,
        horizon=horizon,
        train=windows(first + T - 1, valid_at),
        valid=windows(max(valid_at, T - 1), test_at),
        test=windows(max(test_at, T - 1), end),
    )
    if min(len(prepared.train), len(prepared.valid), len(prepared.test)) == 0:
        raise DataError(
            f"T={T}, horizon={horizon} leave an empty split (train {len(prepared.train)}, "
            f"validation {len(prepared.valid)}, test {len(prepared.test)} windows); use a smaller T"
            " or an earlier train_start"
        )
    return prepared


def _fit(values: np.ndarray) -> MinMax:
    low, high = float(np.min(values)), float(np.max(values))
    if high <= low:
        raise DataError(
            "the training period is constant; scaling needs at least two distinct values"
        )
    return MinMax(low, high)
