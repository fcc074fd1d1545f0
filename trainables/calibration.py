"""Rolling, locally scaled split conformal intervals (DESIGN §6.6), as pure numpy.

A forecast made at time t gets, per horizon step, the conformal offsets (:func:`conformal_offsets`)
of the ``count`` most recent residuals whose windows had ended by t, each residual divided by
the *local scale* at its origin, the result multiplied by the local scale at t. The local scale
is the mean |y_s − y_{s−p}| over the ``window`` steps up to the origin (p: the run's baseline
period), how hard the recent past was to forecast naively. Both make intervals follow the
series: a calm autumn's validation residuals alone covered 68 % of GEFCom2014's winter test
period at a nominal 80 %; rolling and scaled they cover 77 %.

The residuals are those of validation, then of the test period as each becomes known, so a
forecast at a test origin uses exactly what an operator forecasting every day would have had.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainables.intervals import conformal_offsets

MIN_CALIBRATION = 20  # windows: fewer leave the outer quantiles at the extreme residuals


def calibration_count(valid_windows: int) -> int:
    """The residuals each forecast is calibrated on: half the validation period's windows (at
    least MIN_CALIBRATION, at most all of them)."""
    return min(valid_windows, max(MIN_CALIBRATION, math.ceil(valid_windows / 2)))


def local_scale(target: np.ndarray, origins: np.ndarray, period: int, window: int) -> np.ndarray:
    """(n,): the mean |y_s − y_{s−period}| over the ``window`` steps s up to each origin (as
    far back as the series reaches), floored so that a flat stretch never gives zero width."""
    y = np.asarray(target, dtype=np.float64)
    period = max(1, min(int(period), len(y) - 1))
    change = np.abs(y[period:] - y[:-period])  # change[i]: step s = i + period
    total = np.concatenate([[0.0], np.cumsum(change)])
    high = np.clip(np.asarray(origins) - period + 1, 1, len(change))
    low = np.maximum(0, high - int(window))
    mean = (total[high] - total[low]) / (high - low)
    return np.maximum(mean, 1e-6 * (float(np.mean(np.abs(y))) + 1e-12))


@dataclass(frozen=True)
class Calibration:
    """Residuals in units of local scale, with when each window's last target was known."""

    ends: np.ndarray  # (n,) int64 epoch seconds
    residuals: np.ndarray  # (n, horizon)
    count: int
    window: int
    period: int

    def until(self, at: int) -> Calibration:
        """Only the residuals known by ``at``."""
        kept = self.ends <= at
        return self._with(self.ends[kept], self.residuals[kept])

    def followed_by(self, ends: np.ndarray, residuals: np.ndarray) -> Calibration:
        return self._with(
            np.concatenate([self.ends, ends]), np.concatenate([self.residuals, residuals])
        )

    def _with(self, ends: np.ndarray, residuals: np.ndarray) -> Calibration:
        return Calibration(ends, residuals, self.count, self.window, self.period)

    def offsets(self, at: np.ndarray, scales: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
        """(n, quantiles, horizon): each forecast's offsets, made at ``at`` (epoch seconds)
        with local scale ``scales``; before any residual is known, the earliest ``count``."""
        order = np.argsort(self.ends, kind="stable")
        ends, residuals = self.ends[order], self.residuals[order]
        known = np.searchsorted(ends, np.asarray(at), side="right")
        known = np.maximum(known, min(self.count, len(ends)))
        out = np.empty((len(known), len(quantiles), residuals.shape[1]))
        done: dict[int, np.ndarray] = {}
        for i, k in enumerate(known.tolist()):
            if k not in done:
                done[k] = conformal_offsets(residuals[max(0, k - self.count) : k], quantiles)
            out[i] = done[k]
        return out * np.asarray(scales, dtype=np.float64)[:, None, None]

    def latest(self, quantiles: Sequence[float]) -> np.ndarray:
        """(quantiles, horizon) in units of local scale: the offsets after every residual."""
        return conformal_offsets(self.residuals[-self.count :], quantiles)

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "window": self.window,
            "period": self.period,
            "ends": self.ends.astype(np.int64).tolist(),
            "residuals": np.asarray(self.residuals).round(6).tolist(),
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Calibration:
        return cls(
            np.asarray(value["ends"], dtype=np.int64),
            np.asarray(value["residuals"], dtype=np.float64).reshape(len(value["ends"]), -1),
            int(value["count"]),
            int(value["window"]),
            int(value["period"]),
        )


def widened(residuals: np.ndarray, spread: np.ndarray | None) -> np.ndarray:
    """A trial group's residuals widened by its seeds' spread (the standard deviation of its
    members' forecasts), in quadrature: sign(r)·√(r² + σ²)."""
    if spread is None:
        return residuals
    return np.where(residuals < 0, -1.0, 1.0) * np.hypot(residuals, spread)


def epoch_seconds(stamps: np.ndarray) -> np.ndarray:
    return np.asarray(stamps).astype("datetime64[s]").astype(np.int64)
