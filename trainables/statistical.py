"""The statistical forecasts a residual network corrects (a hybrid, ``residual``).

A :class:`SeasonalMean` forecasts step h from the origin t as the mean, over the last
``seasons`` seasons of ``period``, of the value at the same point of the season; with
``level``, shifted by how far the last value y[t] stands from the same seasons' mean at the
origin. One season without the level is the seasonal naive (the last value for period 1).
With the level it is a decomposition forecast, seasonal profile plus current level, as MSTL's
is: on GEFCom2014's daily test origins the mean of four weeks shifted to the last hour scores
MASE 0.591 against statsforecast MSTL's 0.593, and computes for every window at once.

``residual: seasonal_mean`` corrects the candidate (period, seasons, level) best on the
validation period; ``residual: baseline`` the run's baseline (DESIGN §6.3), a seasonal naive.
Every forecast is a weighted sum of the series' values with weights summing to one, so it is
the same on the scaled and the unscaled target.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

SEASONS = (1, 2, 4, 8)  # the candidates' numbers of seasons


@dataclass(frozen=True)
class SeasonalMean:
    period: int  # in steps; 1: the last value
    seasons: int = 1
    level: bool = False

    def __post_init__(self) -> None:
        if self.period < 1 or self.seasons < 1:
            raise ValueError(
                f"period and seasons must be >= 1, got period={self.period}, "
                f"seasons={self.seasons}"
            )

    @property
    def name(self) -> str:
        if self.seasons == 1 and not self.level:
            return "naive" if self.period == 1 else f"seasonal_naive_{self.period}"
        return f"seasonal_mean_{self.period}x{self.seasons}" + ("_level" if self.level else "")

    @property
    def reach(self) -> int:
        """How many steps before the origin the forecast reads."""
        return int(-self.terms(self.period)[0].min())

    def terms(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """(horizon, m) offsets from the origin and their weights: forecast step h is
        Σ weights[h] · y[t + offsets[h]]."""
        steps = np.arange(1, horizon + 1)
        last = steps - self.period * np.ceil(steps / self.period).astype(int)  # in (−P, 0]
        back = np.arange(self.seasons) * self.period
        offsets = last[:, None] - back[None, :]
        weights = np.full(offsets.shape, 1.0 / self.seasons)
        if self.level:
            at_origin = -self.period * np.arange(1, self.seasons + 1)
            offsets = np.hstack([offsets, np.zeros((horizon, 1), int),
                                 np.broadcast_to(at_origin, (horizon, self.seasons))])
            weights = np.hstack([weights, np.ones((horizon, 1)),
                                 np.full((horizon, self.seasons), -1.0 / self.seasons)])
        return offsets, weights

    def forecast(self, values: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        """(origins, horizon) from ``values`` (the target, scaled or not); every origin must
        have ``reach`` steps before it."""
        offsets, weights = self.terms(horizon)
        rows = np.asarray(origins)[:, None, None] + offsets[None, :, :]
        if len(rows) and rows.min() < 0:
            raise ValueError(f"{self.name} reaches before the start of the series")
        return np.einsum("nhm,hm->nh", values[rows], weights).astype(values.dtype, copy=False)

    def to_json(self) -> dict[str, Any]:
        return {"period": self.period, "seasons": self.seasons, "level": self.level}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> SeasonalMean:
        return cls(int(value["period"]), int(value["seasons"]), bool(value["level"]))


def candidates(periods: list[int], steps_before: int) -> list[SeasonalMean]:
    """The last value, and every (period, seasons, level) whose reach leaves training
    windows: the reach and a season more within the ``steps_before`` the validation period."""
    return [SeasonalMean(1)] + [
        SeasonalMean(period, seasons, level)
        for period in periods
        for seasons in SEASONS
        for level in (False, True)
        if (seasons + 1) * period <= steps_before
    ]


def best_on_validation(
    options: list[SeasonalMean], score: Callable[[SeasonalMean], float]
) -> SeasonalMean | None:
    """The option with the lowest ``score`` (NaN last); None without options."""
    scored = [(score(option), option) for option in options]
    if not scored:
        return None
    return min(scored, key=lambda pair: (math.isnan(pair[0]), pair[0]))[1]
