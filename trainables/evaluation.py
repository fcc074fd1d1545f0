"""A run's scoring: every measure each epoch on validation, and at the end on test beside the
run's baseline, the naive candidate that did best on validation (DESIGN §6.3)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainables.calibration import (
    Calibration,
    calibration_count,
    epoch_seconds,
    local_scale,
    widened,
)
from trainables.intervals import QUANTILES, interval_scores
from trainables.scoring import (
    baseline_candidates,
    baseline_forecast,
    defined_measures,
    mase_scale,
    measure,
    no_season_note,
    seasonal_periods,
    skill,
)
from trainables.statistical import SeasonalMean, best_on_validation, candidates
from trainables.windows import Prepared

FALLBACK_MEASURE = "mae"  # a primary metric that is not a measure (val_loss) compares on MAE


def primary_measure(primary_metric: str | None, measures: tuple[str, ...]) -> str:
    """``val_mase`` → ``mase``; anything else (or a measure this target does not allow) → MAE."""
    name = (primary_metric or "").removeprefix("val_")
    return name if name in measures else FALLBACK_MEASURE


@dataclass(frozen=True)
class Evaluation:
    measures: tuple[str, ...]
    primary: str  # the measure the baseline is chosen on and the skill is given for
    scale: float  # MASE's denominator
    baseline: str
    baseline_period: int  # 1 for the last value
    actual_valid: np.ndarray
    actual_test: np.ndarray
    baseline_test: np.ndarray  # the chosen baseline's test forecast
    baseline_valid: np.ndarray  # and its validation forecast
    note: str | None = None  # why the baseline is the last value (no seasonal period fits)
    # Intervals (trainables.calibration): each window's local scale, when its last target is
    # known and when it is made (epoch seconds), and how many residuals calibrate one.
    valid_scale: np.ndarray = field(default_factory=lambda: np.ones(0))
    test_scale: np.ndarray = field(default_factory=lambda: np.ones(0))
    valid_ends: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    test_ends: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    test_made: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    calibration_count: int = 1
    scale_window: int = 1
    # The statistical forecast a residual network corrects (trainables.statistical), if any.
    corrected: SeasonalMean | None = None

    @classmethod
    def of(cls, prepared: Prepared, primary_metric: str | None) -> Evaluation:
        series = prepared.series
        measures = defined_measures(series.target)  # every period: a zero anywhere breaks MAPE
        primary = primary_measure(primary_metric, measures)
        train_target = series.target[prepared.train_rows]
        candidates = {  # those that reach no further back than the series' start
            name: period
            for name, period in baseline_candidates(series.frequency, len(train_target)).items()
            if prepared.valid.origins[0] + 1 - period >= 0
        }
        periods = [p for p in candidates.values() if p > 1]
        scale = mase_scale(train_target, min(periods, default=1))
        actual_valid = prepared.actual_load(prepared.valid)
        actual_test = prepared.actual_load(prepared.test)
        horizon = prepared.horizon

        def on_validation(period: int) -> float:
            forecast = baseline_forecast(series.target, prepared.valid.origins, horizon, period)
            return float(measure(primary, forecast, actual_valid, scale))  # type: ignore[arg-type]

        scores = {name: on_validation(period) for name, period in candidates.items()}
        best = min(scores, key=lambda name: (math.isnan(scores[name]), scores[name]))
        stamps = epoch_seconds(series.timestamps)
        valid, test = prepared.valid.origins, prepared.test.origins
        window = prepared.T

        def spread(origins: np.ndarray) -> np.ndarray:
            return local_scale(series.target, origins, candidates[best], window)

        return cls(
            measures=measures,
            primary=primary,
            scale=scale,
            baseline=best,
            baseline_period=candidates[best],
            actual_valid=actual_valid,
            actual_test=actual_test,
            baseline_test=baseline_forecast(
                series.target, prepared.test.origins, horizon, candidates[best]
            ),
            baseline_valid=baseline_forecast(
                series.target, prepared.valid.origins, horizon, candidates[best]
            ),
            note=no_season_note(series.frequency, len(train_target)),
            valid_scale=spread(valid),
            test_scale=spread(test),
            valid_ends=stamps[valid + horizon],
            test_ends=stamps[test + horizon],
            test_made=stamps[test],
            calibration_count=calibration_count(len(valid)),
            scale_window=window,
        )

    def seasonal_mean(self, prepared: Prepared) -> SeasonalMean:
        """The seasonal mean (trainables.statistical) best on validation by the primary
        measure: what ``residual: seasonal_mean`` corrects."""
        series, valid = prepared.series, prepared.valid.origins
        periods = seasonal_periods(series.frequency, prepared.train_rows.stop)

        def on_validation(option: SeasonalMean) -> float:
            forecast = option.forecast(series.target, valid, prepared.horizon)
            return float(measure(self.primary, forecast, self.actual_valid, self.scale))  # type: ignore[arg-type]

        best = best_on_validation(candidates(periods, int(valid[0]) + 1), on_validation)
        return best or SeasonalMean(self.baseline_period)

    def _scores(self, predicted: np.ndarray, actual: np.ndarray, prefix: str) -> dict[str, float]:
        return {
            f"{prefix}{m}": float(measure(m, predicted, actual, self.scale))  # type: ignore[arg-type]
            for m in self.measures
        }

    def validation(self, predicted: np.ndarray) -> dict[str, float]:
        """``val_<m>`` for every measure this target allows."""
        return self._scores(predicted, self.actual_valid, "val_")

    def calibrate(self, predicted_valid: np.ndarray, spread: Any = None) -> Calibration:
        """The validation residuals of a forecast (the model's, or the baseline's), scaled;
        a trial group's ``spread`` of its seeds widens them."""
        errors = widened(self.actual_valid - predicted_valid, spread)
        residuals = errors / self.valid_scale[:, None]
        return Calibration(
            self.valid_ends, residuals, self.calibration_count, self.scale_window,
            self.baseline_period,
        )

    def with_test(
        self, calibration: Calibration, predicted: np.ndarray, spread: Any = None
    ) -> Calibration:
        """``calibration`` up to the test period, then the test residuals of ``predicted``:
        what a forecast after the test period is calibrated on."""
        residuals = widened(self.actual_test - predicted, spread) / self.test_scale[:, None]
        start = int(self.test_made[0])
        return calibration.until(start).followed_by(self.test_ends, residuals)

    def bands(
        self,
        predicted: np.ndarray,
        calibration: Calibration,
        quantiles: Sequence[float],
        spread: Any = None,
    ) -> np.ndarray:
        """(n, quantiles, horizon): the test period's quantile forecasts, each calibrated on
        the residuals known when it is made (trainables.calibration)."""
        known = self.with_test(calibration, predicted, spread)
        offsets = known.offsets(self.test_made, self.test_scale, quantiles)
        return predicted[:, None, :] + offsets

    def test(
        self,
        predicted: np.ndarray,
        calibration: Calibration | None = None,
        quantiles: Sequence[float] = QUANTILES,
        spread: Any = None,
    ) -> dict[str, Any]:
        """``test_<m>``, the primary measure by horizon step, and the baseline beside them;
        with the model's ``calibration``, the pinball loss and coverage of its quantile
        forecasts beside the baseline's (calibrated alike on its own residuals)."""
        model = self._scores(predicted, self.actual_test, "test_")
        baseline = self._scores(self.baseline_test, self.actual_test, "baseline_test_")
        if calibration is not None:
            forecasts = self.bands(predicted, calibration, quantiles, spread)
            model |= interval_scores("test_", self.actual_test, forecasts, quantiles)
            own = self.calibrate(self.baseline_valid)
            theirs = self.bands(self.baseline_test, own, quantiles)
            baseline |= interval_scores("baseline_test_", self.actual_test, theirs, quantiles)
        # The baseline's validation values: the line the dashboard draws on each val_ chart.
        baseline |= self._scores(self.baseline_valid, self.actual_valid, "baseline_val_")
        by_step = measure(self.primary, predicted, self.actual_test, self.scale, axis=0)
        return {
            **model,
            f"test_{self.primary}_by_horizon": [round(float(v), 6) for v in by_step],  # type: ignore[union-attr]
            "baseline": self.baseline,
            **baseline,
            "skill": skill(
                model[f"test_{self.primary}"], baseline[f"baseline_test_{self.primary}"]
            ),
            "skill_measure": self.primary,
            **({"baseline_note": self.note} if self.note else {}),
            **({"residual_of": self.corrected.name} if self.corrected else {}),
        }
