"""Split conformal intervals, their pinball loss and coverage, by hand and through a run."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.trainables.test_inputs import series_with_temperature
from trainables.bundle import DESCRIPTION
from trainables.calibration import Calibration, calibration_count, local_scale, widened
from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS
from trainables.fit import fit_forecaster
from trainables.intervals import (
    check_quantiles,
    conformal_level,
    conformal_offsets,
    coverage,
    interval_scores,
    pinball,
)
from tuner.core.registry import RunContext


def test_conformal_quantiles_by_hand() -> None:
    # Nine validation residuals at one horizon step: 1 .. 9 (shuffled).
    residuals = np.array([[5.0], [1.0], [9.0], [3.0], [7.0], [2.0], [8.0], [4.0], [6.0]])
    # q = 0.9: level ceil(10 * 0.9) / 9 = 9/9 -> the 9th smallest, 9.
    # q = 0.1: level floor(10 * 0.1) / 9 = 1/9 -> the 1st smallest, 1.
    # q = 0.5: level ceil(5) / 9 = 5/9 -> the 5th smallest, 5.
    assert conformal_level(0.9, 9) == 1.0 and conformal_level(0.1, 9) == pytest.approx(1 / 9)
    offsets = conformal_offsets(residuals, (0.1, 0.5, 0.9))
    assert offsets[:, 0].tolist() == [1.0, 5.0, 9.0]
    # With 4 residuals, q = 0.7: ceil(5 * 0.7) / 4 = 1 -> the largest; q = 0.3: floor(1.5) / 4.
    four = np.array([[10.0, 0.0], [30.0, 1.0], [20.0, 3.0], [40.0, 2.0]])
    assert conformal_offsets(four, (0.3, 0.7)).tolist() == [[10.0, 0.0], [40.0, 3.0]]


def test_pinball_and_coverage_by_hand() -> None:
    actual = np.array([[10.0, 20.0]])
    # q = 0.9, forecast 12 and 15: errors -2 and 5 -> max(0.9 * -2, -0.1 * -2) = 0.2 and 4.5.
    assert pinball(0.9, actual, np.array([[12.0, 15.0]])) == pytest.approx((0.2 + 4.5) / 2)
    assert coverage(actual, np.array([[9.0, 21.0]]), np.array([[11.0, 22.0]])) == 0.5
    forecasts = np.array([[[8.0, 18.0], [10.0, 20.0], [12.0, 25.0]]])  # q10, q50, q90
    scores = interval_scores("test_", actual, forecasts, (0.1, 0.5, 0.9))
    by_hand = np.mean([(0.2 + 0.2) / 2, 0.0, (0.2 + 0.5) / 2])
    assert scores == {"test_pinball": pytest.approx(by_hand), "test_coverage_10_90": 1.0}


def test_quantile_levels_are_checked() -> None:
    assert check_quantiles([0.9, 0.1]) == (0.1, 0.9)
    with pytest.raises(ValueError, match="between 0 and 1"):
        check_quantiles([0.5, 1.2])


def test_local_scale_and_rolling_calibration_by_hand() -> None:
    y = np.array([0.0, 1, 3, 6, 10, 15, 21])  # first differences 1 2 3 4 5 6
    # period 1, window 2: origin 4 -> mean(|10-6|, |6-3|) = 3.5; origin 1 -> only |1-0| = 1.
    np.testing.assert_allclose(local_scale(y, np.array([4, 1]), 1, 2), [3.5, 1.0])
    # Residuals (already scaled) known at 10, 20, 30, 40; the two most recent calibrate.
    calibration = Calibration(
        np.array([10, 20, 30, 40]), np.array([[1.0], [-1.0], [3.0], [-3.0]]), 2, 2, 1
    )
    # Made at 35: known are 10, 20, 30 -> the last two, -1 and 3; q = 0.9 over n = 2: level
    # min(1, ceil(2.7) / 2) = 1 -> 3; q = 0.1: floor(0.3) / 2 = 0 -> the smallest, -1.
    # Made at 5: nothing known yet -> the earliest two, 1 and -1. Each times its scale.
    offsets = calibration.offsets(np.array([35, 5]), np.array([2.0, 1.0]), (0.1, 0.9))
    np.testing.assert_allclose(offsets[:, :, 0], [[-2.0, 6.0], [-1.0, 1.0]])
    assert calibration.until(20).ends.tolist() == [10, 20]
    assert calibration_count(1000) == 500 and calibration_count(30) == 20
    assert calibration_count(8) == 8
    # A trial group's residuals, widened by its seeds' spread in quadrature, keep their sign.
    np.testing.assert_allclose(widened(np.array([3.0, -3.0, 0.0]), np.array([4.0, 4.0, 2.0])),
                               [5.0, -5.0, 2.0])


def test_a_run_reports_intervals_calibrated_on_its_recent_residuals(tmp_path: Path) -> None:
    params = {**SHARED_HYPERPARAMETERS, **FAMILIES["ffn"][1], "T": 12, "horizon": 3}
    params.update(max_epochs=2, quantiles=[0.05, 0.5, 0.95])
    context = RunContext(lambda _: None, tmp_path, primary_metric="val_mae", seed=3)
    series = series_with_temperature(())
    final = fit_forecaster("ffn", params, series, context)
    stored = json.loads((tmp_path / DESCRIPTION).read_text())  # the run's forecaster.json
    assert stored["quantiles"] == [0.05, 0.5, 0.95]
    own = stored["series"][""]["calibration"]
    ends, residuals = np.array(own["ends"]), np.array(own["residuals"])
    with (tmp_path / "forecast.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    stamps = series.timestamps.astype("datetime64[s]")
    for at in (0, 40):  # the first test origin (validation only), and one 40 origins on
        mine = rows[3 * at : 3 * at + 3]
        made = np.datetime64(mine[0]["origin"].replace(" ", "T"), "s")
        origin = int(np.searchsorted(stamps, made))
        known = residuals[ends <= made.astype(np.int64)][-own["count"] :]
        y, lag = series.target[: origin + 1], own["period"]
        change = np.abs(y[lag:] - y[:-lag])
        scale = change[-own["window"] :].mean()
        for column, q in (("q5", 0.05), ("q50", 0.5), ("q95", 0.95)):
            n = len(known)
            level = min(1, np.ceil((n + 1) * q) / n) if q >= 0.5 else np.floor((n + 1) * q) / n
            offset = np.quantile(known, level, axis=0, method="inverted_cdf") * scale
            band = [float(r[column]) - float(r["predicted"]) for r in mine]
            np.testing.assert_allclose(band, offset, atol=2e-3)
    # The reported scores are those of the stored bands, read back.
    actual = np.array([float(r["actual"]) for r in rows])
    low, high = (np.array([float(r[c]) for r in rows]) for c in ("q5", "q95"))
    assert final["test_coverage_5_95"] == pytest.approx(coverage(actual, low, high), abs=1e-3)
    losses = [
        pinball(q, actual, np.array([float(r[c]) for r in rows]))
        for q, c in ((0.05, "q5"), (0.5, "q50"), (0.95, "q95"))
    ]
    assert final["test_pinball"] == pytest.approx(np.mean(losses), rel=1e-3)
    assert "baseline_test_pinball" in final and "baseline_test_coverage_5_95" in final
