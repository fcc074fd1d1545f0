"""The statistical forecasts a residual network corrects: seasonal means by hand, the seasonal
naive among them, the choice on validation, and the windows that carry them."""

from __future__ import annotations

import numpy as np
import pytest

from tests.trainables.test_scoring import HOUR, _series
from trainables.evaluation import Evaluation
from trainables.scoring import baseline_forecast, measure, seasonal_periods
from trainables.statistical import SeasonalMean, candidates
from trainables.windows import prepare


def test_a_seasonal_mean_by_hand() -> None:
    y = np.array([1.0, 2, 3, 5, 7, 11, 13, 17, 19, 23])
    # Origin 9 (y = 23), period 3, two seasons: step 1 is the mean of y[7] and y[4].
    plain = SeasonalMean(3, 2).forecast(y, np.array([9]), 4)[0]
    np.testing.assert_allclose(plain, [(17 + 7) / 2, (19 + 11) / 2, (23 + 13) / 2, (17 + 7) / 2])
    # With the level: shifted by y[9] minus the mean of y[6] and y[3] (the origin's season).
    shift = 23 - (13 + 5) / 2
    level = SeasonalMean(3, 2, level=True).forecast(y, np.array([9]), 4)[0]
    np.testing.assert_allclose(level, plain + shift)
    assert SeasonalMean(3, 2).reach == 5 and SeasonalMean(3, 2, level=True).reach == 6
    with pytest.raises(ValueError, match="reaches before the start"):
        SeasonalMean(3, 2, level=True).forecast(y, np.array([5]), 1)
    with pytest.raises(ValueError, match="period and seasons"):
        SeasonalMean(0)


def test_one_season_is_the_seasonal_naive_and_scaling_commutes() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(100, 10, 400)
    origins = np.arange(200, 380)
    for period in (1, 24, 168):
        np.testing.assert_array_equal(
            SeasonalMean(period).forecast(y, origins, 20), baseline_forecast(y, origins, 20, period)
        )
    assert SeasonalMean(24).name == "seasonal_naive_24" and SeasonalMean(1).name == "naive"
    option = SeasonalMean(24, 4, level=True)
    assert option.name == "seasonal_mean_24x4_level"
    # Its weights sum to one: the forecast of the scaled target is the scaled forecast.
    scaled = option.forecast((y - 90) / 20, origins, 20)
    np.testing.assert_allclose(scaled * 20 + 90, option.forecast(y, origins, 20))
    assert SeasonalMean.from_json(option.to_json()) == option


def _stepped_series() -> object:
    """A daily cycle whose level steps up and down every few days: the level shift pays."""
    n = 24 * 60
    hours = np.arange(n)
    levels = np.repeat(np.random.default_rng(1).normal(0, 8, n // 72 + 1), 72)[:n]
    values = 100 + 10 * np.sin(2 * np.pi * hours / 24) + levels
    return _series(HOUR, values, n * 6 // 10, n * 8 // 10)


def test_residual_seasonal_mean_corrects_the_candidate_best_on_validation() -> None:
    prepared = prepare(_stepped_series(), T=24, horizon=6)
    evaluation = Evaluation.of(prepared, "val_mae")
    chosen = evaluation.seasonal_mean(prepared)
    valid = prepared.valid.origins
    options = candidates(seasonal_periods("h", prepared.train_rows.stop), int(valid[0]) + 1)
    scores = {
        o: float(measure("mae", o.forecast(prepared.series.target, valid, 6),
                         evaluation.actual_valid, evaluation.scale))
        for o in options
    }
    assert chosen == min(scores, key=scores.__getitem__) and chosen.level
    assert scores[chosen] < scores[SeasonalMean(evaluation.baseline_period)]
    # The windows carry it, scaled, and leave out those it would reach before the start.
    based = prepared.with_baseline(chosen)
    assert based.train.origins[0] == chosen.reach
    np.testing.assert_allclose(
        prepared.load_scaler.unscale(based.valid.base),
        chosen.forecast(prepared.series.target, based.valid.origins, 6),
        rtol=1e-5,
    )


def test_a_run_reports_what_its_network_corrects(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS
    from trainables.fit import fit_forecaster
    from tuner.core.registry import RunContext

    params = {**SHARED_HYPERPARAMETERS, **FAMILIES["ffn"][1], "T": 24, "horizon": 6}
    params.update(max_epochs=1, residual="seasonal_mean", calendar=False)
    context = RunContext(lambda _: None, tmp_path, primary_metric="val_mae", seed=1)
    final = fit_forecaster("ffn", params, _stepped_series(), context)
    assert final["residual_of"].startswith("seasonal_mean_24x") and final["baseline"] == (
        "seasonal_naive_24"
    )
