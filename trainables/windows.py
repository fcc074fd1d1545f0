"""The reference split, training-period scalers and zero-copy windows (DESIGN.md §6).

An *origin* t is the last observed step: the input is steps t−T+1 … t of [target, covariates,
calendar] and the target is y at t+1 … t+horizon (a step is whatever the data's is). Validation
and test origins cover every step of their period from its first on (inputs reach T−1 steps
back into the previous period) as long as the targets stay inside the period. Windows are
``sliding_window_view``s of one scaled array, so building them costs no memory however large
T is; the inputs known over the forecast window (calendar, future covariates) are views too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from trainables.datasets import Series
from trainables.gathered import join
from trainables.statistical import SeasonalMean
from tuner.core.frequency import fixed_seconds, offset_of
from tuner.errors import DataError

DAY, WEEK = 86_400, 7 * 86_400
DAYS_A_YEAR = 365.2425  # the mean Gregorian year


@dataclass(frozen=True)
class MinMax:
    low: float
    high: float
    # A target never negative in its training period is never forecast below this (zero).
    floor: float | None = None

    def scale(self, values: np.ndarray) -> np.ndarray:
        return (values - self.low) / (self.high - self.low)

    def unscale(self, values: np.ndarray) -> np.ndarray:
        unscaled = values * (self.high - self.low) + self.low
        return unscaled if self.floor is None else np.maximum(unscaled, self.floor)


@dataclass(frozen=True)
class Windows:
    """Inputs (n, T, 1 + k), targets (n, horizon) in scaled units, and each origin's index.

    ``future``: inputs known over the forecast window (calendar), (n, horizon, c).
    ``base``: the run's baseline forecast, scaled, (n, horizon), which the network corrects
    (``residual: baseline``)."""

    x: np.ndarray
    y: np.ndarray
    origins: np.ndarray
    future: np.ndarray | None = None
    base: np.ndarray | None = None
    previous: np.ndarray | None = None  # scaled y[t .. t+h-1], for teacher forcing
    member: np.ndarray | None = None  # a panel: each window's series (its index)

    def __len__(self) -> int:
        return len(self.origins)

    def take(self, rows: np.ndarray | slice) -> Windows:
        """These windows' ``rows`` (a slice stays a view)."""
        return Windows(*(None if a is None else a[rows] for a in self._arrays()))

    def followed_by(self, more: Windows) -> Windows:
        """These windows, then ``more`` (copied: a fold trains on both)."""
        pairs = zip(self._arrays(), more._arrays(), strict=True)
        return Windows(*(None if a is None else join(a, b) for a, b in pairs))

    def _arrays(self) -> tuple[np.ndarray | None, ...]:
        return (self.x, self.y, self.origins, self.future, self.base, self.previous, self.member)

    @property
    def inputs(self) -> np.ndarray | list[np.ndarray]:
        """What the model is fed: the window alone, or with its forecast-window inputs."""
        extra = [a for a in (self.previous, self.future, self.base) if a is not None]
        return [self.x, *extra] if extra else self.x


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
    future_features: int = 0  # future covariates and calendar, given over the forecast window
    known_ahead: tuple[int, ...] = ()  # those columns of ``features``
    covariate_scalers: tuple[MinMax, ...] = ()  # each covariate's, fitted on training
    difference_period: int = 0  # the baseline's own errors as a column (residual), if > 0
    # A panel (trainables.panels.stack): each series' scalers and id, by Windows.member.
    member_scalers: tuple[MinMax, ...] = ()
    member_names: tuple[str, ...] = ()
    member_covariate_scalers: tuple[tuple[MinMax, ...], ...] = ()

    def unscale(self, windows: Windows, scaled: np.ndarray) -> np.ndarray:
        """Forecasts for ``windows`` (n, horizon) in the target's units: each with its own
        series' scaler in a panel."""
        if not self.member_scalers or windows.member is None:
            return self.load_scaler.unscale(scaled)
        low = np.array([m.low for m in self.member_scalers])[windows.member][:, None]
        high = np.array([m.high for m in self.member_scalers])[windows.member][:, None]
        floor = np.array(
            [-np.inf if m.floor is None else m.floor for m in self.member_scalers]
        )[windows.member][:, None]
        return np.maximum(scaled * (high - low) + low, floor)

    def with_previous_values(self) -> Prepared:
        """Each window also carries y[t], y[t+1] … y[t+h−1] (scaled): a teacher-forced decoder
        is fed them in training; at inference it uses only y[t], the last observed value."""
        steps = np.arange(self.horizon)

        def fed(windows: Windows) -> Windows:
            lagged = windows.origins[:, None] + steps[None, :]
            return replace(windows, previous=self.features[lagged, 0])

        return replace(self, train=fed(self.train), valid=fed(self.valid), test=fed(self.test))

    def with_baseline(self, corrected: SeasonalMean) -> Prepared:
        """Each window also carries the scaled forecast the network corrects (``residual``)."""

        def based(windows: Windows) -> Windows:
            # Windows whose forecast would reach before the series' start are left out.
            skip = max(0, corrected.reach - int(windows.origins[0])) if len(windows) else 0
            kept = windows.take(slice(skip, None))
            base = corrected.forecast(self.features[:, 0], kept.origins, self.horizon)
            return replace(kept, base=base)

        return replace(
            self, train=based(self.train), valid=based(self.valid), test=based(self.test)
        )

    def actual_load(self, windows: Windows) -> np.ndarray:
        """Unscaled target load for each origin, (n, horizon), from the source series."""
        return sliding_window_view(self.series.target, self.horizon)[windows.origins + 1]


def calendar_features(timestamps: np.ndarray, frequency: str = "h") -> np.ndarray:
    """The cycles the frequency has, as sin/cos pairs, (n, 0 to 6): time of day and day of
    week below a day; day of week and time of year for days and business days; the time of
    year for weeks (the week of the year), the month of the year for months, the quarter for
    quarters; none for years."""
    import pandas as pd

    index = pd.DatetimeIndex(timestamps)
    seconds, kind = fixed_seconds(frequency), type(offset_of(frequency)).__name__
    of_day = (index.hour * 3600 + index.minute * 60 + index.second).to_numpy() / DAY
    cycles = []  # each a phase in [0, 1)
    if seconds is not None and seconds < DAY:
        cycles.append(of_day)
    if kind == "BusinessDay":
        cycles.append(index.dayofweek.to_numpy() / 5)
    elif seconds is not None and seconds < WEEK:
        cycles.append((index.dayofweek.to_numpy() + of_day) / 7)
    if kind in ("BusinessDay", "Week") or (seconds is not None and seconds >= DAY):
        cycles.append((index.dayofyear.to_numpy() - 1 + of_day) / DAYS_A_YEAR)
    if kind in ("MonthBegin", "MonthEnd"):
        cycles.append((index.month.to_numpy() - 1) / 12)
    if kind in ("QuarterBegin", "QuarterEnd"):
        cycles.append((index.quarter.to_numpy() - 1) / 4)
    columns = [f(2 * np.pi * phase) for phase in cycles for f in (np.sin, np.cos)]
    return np.stack(columns, axis=1) if columns else np.empty((len(index), 0))


def prepare(
    series: Series,
    T: int,
    horizon: int,
    train_start: str | None = None,
    calendar: bool = False,
    difference_period: int = 0,
) -> Prepared:
    """Windows of [target, covariates, (difference), (calendar)], scaled on the training period.

    ``difference_period`` P > 0 adds the target's change over one period, y[t] − y[t−P]
    (scaled; 0 for the first P steps): over the input window these are the baseline's own
    recent errors, the signal a network correcting that baseline needs (``residual``)."""
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
    clock = calendar_features(stamps, series.frequency) if calendar else np.empty((end, 0))
    covariates = series.covariates.shape[1]
    differences = 1 if difference_period > 0 else 0
    own = 1 + covariates + differences  # the columns known only up to the origin
    features = np.empty((end, own + clock.shape[1]), dtype=np.float32)
    features[:, 0] = load_scaler.scale(series.target)
    covariate_scalers = tuple(_fit(series.covariates[train_rows, c]) for c in range(covariates))
    for column, scaler in enumerate(covariate_scalers):
        features[:, 1 + column] = scaler.scale(series.covariates[:, column])
    if differences:
        features[:, own - 1] = 0.0
        features[difference_period:, own - 1] = (
            features[difference_period:, 0] - features[:-difference_period, 0]
        )
    features[:, own:] = clock  # already within [-1, 1]
    inputs = sliding_window_view(features, T, axis=0).transpose(0, 2, 1)  # (n−T+1, T, 1+k), a view
    targets = sliding_window_view(features[:, 0], horizon)  # (n−horizon+1, horizon), a view
    known_ahead = [1 + series.covariate_names.index(c) for c in series.future_covariates]
    known_ahead += list(range(own, features.shape[1]))  # the calendar
    ahead = sliding_window_view(features[:, known_ahead], horizon, axis=0).transpose(0, 2, 1)

    def windows(first_origin: int, period_end: int) -> Windows:
        origins = np.arange(first_origin, period_end - horizon)  # targets stay before period_end
        lo, hi = (origins[0], origins[-1]) if len(origins) else (T - 1, T - 2)
        future = ahead[lo + 1 : hi + 2] if known_ahead else None
        return Windows(inputs[lo - T + 1 : hi - T + 2], targets[lo + 1 : hi + 2], origins, future)

    prepared = Prepared(
        series=series,
        features=features,
        load_scaler=load_scaler,
        covariate_scalers=covariate_scalers,
        difference_period=difference_period,
        train_rows=train_rows,
        T=T,
        horizon=horizon,
        train=windows(first + T - 1, valid_at),
        valid=windows(max(valid_at, T - 1), test_at),
        test=windows(max(test_at, T - 1), end),
        future_features=len(known_ahead),
        known_ahead=tuple(known_ahead),
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
    return MinMax(low, high, floor=0.0 if low >= 0 else None)
