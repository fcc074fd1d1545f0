"""Measures and baselines against values worked out by hand (DESIGN §6.3)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trainables.datasets import Series
from trainables.evaluation import Evaluation, primary_measure
from trainables.measures import MEASURES
from trainables.scoring import (
    baseline_candidates,
    baseline_forecast,
    defined_measures,
    mase_scale,
    measure,
    seasonal_periods,
    skill,
)
from trainables.statistical import SeasonalMean
from trainables.windows import prepare

HOUR, HALF_HOUR, DAY = 3600, 1800, 86_400
ALIASES = {HOUR: "h", HALF_HOUR: "30min", DAY: "D"}


def test_each_measure_by_hand() -> None:
    actual = np.array([[100.0, 200.0], [50.0, 100.0]])
    predicted = np.array([[110.0, 180.0], [50.0, 130.0]])  # errors 10, -20, 0, 30
    assert measure("mae", predicted, actual) == pytest.approx(15.0)
    assert measure("rmse", predicted, actual) == pytest.approx(math.sqrt((100 + 400 + 900) / 4))
    assert measure("mape", predicted, actual) == pytest.approx(100 * (0.1 + 0.1 + 0 + 0.3) / 4)
    smape = 200 * (10 / 210 + 20 / 380 + 0 + 30 / 230) / 4
    assert measure("smape", predicted, actual) == pytest.approx(smape)
    assert measure("mase", predicted, actual, mase_scale=5.0) == pytest.approx(3.0)
    by_step = measure("mae", predicted, actual, axis=0)
    assert list(by_step) == pytest.approx([5.0, 25.0])  # type: ignore[call-overload]


def test_an_unknown_measure_is_named() -> None:
    with pytest.raises(ValueError, match=r"measure must be one of .* got 'mse'"):
        measure("mse", np.zeros(2), np.ones(2))


def test_percentages_only_for_a_target_of_one_sign() -> None:
    assert defined_measures(np.array([1.0, 2.0])) == MEASURES
    assert defined_measures(np.array([-1.0, -2.0])) == MEASURES
    assert "mape" not in defined_measures(np.array([0.0, 2.0]))
    assert defined_measures(np.array([-1.0, 2.0])) == ("mae", "rmse", "mase")


@pytest.mark.parametrize(
    ("frequency", "train_steps", "periods"),
    [
        ("h", 30_000, [24, 168, 8760]),
        ("h", 1000, [24, 168]),  # a year does not fit twice in 1000 hours
        ("30min", 5000, [48, 336]),  # a day is 48 steps, not 24
        ("15min", 5000, [96, 672]),
        ("D", 2000, [7, 365]),  # a day is one step: no daily season
        ("B", 100, [5]),  # a business week
        ("W-SUN", 600, [52]),  # weekly data's year is 52 weeks, as the field counts it
        ("W-MON", 100, []),  # 52 weeks do not fit twice in 100
        ("MS", 30, [12]),
        ("ME", 23, []),  # 12 months need 24 in training
        ("QS-JAN", 8, [4]),
        ("QE-DEC", 8, [4]),
        ("YS-JAN", 100, []),  # a year has no season
        ("5min", 1000, [288]),
    ],
)
def test_seasonal_periods_follow_the_frequency(
    frequency: str, train_steps: int, periods: list[int]
) -> None:
    assert seasonal_periods(frequency, train_steps) == periods


def test_the_run_says_when_no_seasonal_period_fits() -> None:
    from trainables.scoring import no_season_note

    assert no_season_note("MS", 30) is None
    note = no_season_note("MS", 20)
    assert note is not None and "12 steps" in note and "24" in note and "has 20" in note
    assert "no seasonal period" in str(no_season_note("YS-JAN", 40))


def test_candidates_always_include_the_last_value() -> None:
    assert baseline_candidates("D", 2000) == {
        "naive": 1,
        "seasonal_naive_7": 7,
        "seasonal_naive_365": 365,
    }


def test_baseline_forecast_wraps_beyond_one_period() -> None:
    target = np.arange(100, dtype=float)
    origins = np.array([10, 20])
    # P=4, h=1..6: lags 4,4,4,4,8,8 back from t+h → y[t-3], y[t-2], y[t-1], y[t], y[t-3], y[t-2]
    assert baseline_forecast(target, origins, 6, 4).tolist() == [
        [7, 8, 9, 10, 7, 8],
        [17, 18, 19, 20, 17, 18],
    ]
    assert baseline_forecast(target, origins, 3, 1).tolist() == [[10] * 3, [20] * 3]  # naive
    with pytest.raises(ValueError, match="reaches before the start"):
        baseline_forecast(target, np.array([2]), 1, 4)


def test_mase_scale_is_the_in_sample_seasonal_naive_mae() -> None:
    train = np.array([1.0, 2.0, 4.0, 7.0, 11.0])
    assert mase_scale(train, 2) == pytest.approx((3 + 5 + 7) / 3)
    assert math.isnan(mase_scale(np.ones(10), 2))


def test_skill() -> None:
    assert skill(3.0, 4.0) == pytest.approx(0.25)
    assert skill(5.0, 4.0) == pytest.approx(-0.25)  # worse than the baseline
    assert skill(1.0, 0.0) is None and skill(math.nan, 4.0) is None


def test_primary_measure_falls_back_to_mae() -> None:
    assert primary_measure("val_mase", MEASURES) == "mase"
    assert primary_measure("val_loss", MEASURES) == "mae"
    assert primary_measure("val_mape", ("mae", "rmse", "mase")) == "mae"


def _series(step: int, values: np.ndarray, valid_at: int, test_at: int) -> Series:
    stamps = np.datetime64("2020-01-01", "s") + np.arange(len(values)) * np.timedelta64(step, "s")
    return Series(
        "tiny",
        stamps,
        values,
        np.arange(len(values), dtype=float)[:, None],  # a covariate that is not constant
        valid_start=stamps[valid_at],
        test_start=stamps[test_at],
        frequency=ALIASES[step],
    )


@pytest.mark.parametrize(("step", "period"), [(HOUR, 24), (HALF_HOUR, 48), (DAY, 7)])
def test_a_purely_seasonal_series_picks_its_season_on_validation(step: int, period: int) -> None:
    """Each frequency's own daily (or weekly) season repeats exactly: its seasonal naive is
    perfect, the last value is not, and the choice is made on validation."""
    rng = np.random.default_rng(0)
    season = rng.uniform(10, 20, size=period)
    n = period * 40
    values = season[np.arange(n) % period]
    prepared = prepare(_series(step, values, n * 6 // 10, n * 8 // 10), T=period, horizon=3)
    evaluation = Evaluation.of(prepared, "val_mape")
    assert evaluation.baseline == f"seasonal_naive_{period}"
    result = evaluation.test(evaluation.baseline_test + 1.0)  # a model one unit off everywhere
    assert result["baseline_test_mae"] == 0.0 and result["test_mae"] == pytest.approx(1.0)
    assert result["skill_measure"] == "mape" and result["skill"] is None


def test_baseline_results_on_a_trend_by_hand() -> None:
    """y = t (hourly): the last value is off by h at step h; a day back is off by 24."""
    n = 24 * 20
    values = np.arange(n, dtype=float) + 1000.0
    prepared = prepare(_series(HOUR, values, 300, 400), T=24, horizon=2)
    evaluation = Evaluation.of(prepared, "val_mae")
    assert evaluation.baseline == "naive"
    result = evaluation.test(evaluation.actual_test - 0.5)  # the model: 0.5 under everywhere
    assert result["baseline_test_mae"] == pytest.approx(1.5)  # mean of 1 and 2
    assert result["test_mae"] == pytest.approx(0.5)
    assert result["skill"] == pytest.approx(1 - 0.5 / 1.5)
    assert result["test_mae_by_horizon"] == pytest.approx([0.5, 0.5])
    # MASE: the shortest season is a day; on the training period y[t] - y[t-24] = 24.
    assert result["test_mase"] == pytest.approx(0.5 / 24)


def test_calendar_features_for_known_timestamps() -> None:
    from trainables.windows import calendar_features

    # 2020-01-06 was a Monday; 06:00 is a quarter of the day.
    stamps = np.array(["2020-01-06T00:00", "2020-01-06T06:00"], dtype="datetime64[s]")
    features = calendar_features(stamps, "6h")
    day, week = 0.25 * 2 * np.pi, (0.25 / 7) * 2 * np.pi
    expected = [np.sin(day), np.cos(day), np.sin(week), np.cos(week)]
    np.testing.assert_allclose(features[1], expected, atol=1e-12)
    np.testing.assert_allclose(features[0], [0, 1, 0, 1], atol=1e-12)  # Monday midnight
    daily = np.array(["2020-01-06", "2020-01-07"], dtype="datetime64[s]")
    assert calendar_features(daily, "D").shape == (2, 4)  # day of week and time of year
    weekly = np.array(["2020-01-06", "2020-07-01"], dtype="datetime64[s]")
    year = calendar_features(weekly, "W-MON")
    assert year.shape == (2, 2)  # the time of year alone: the week of the year
    # 2020-01-06 is 5 days into the year, 2020-07-01 is 182 (within the calendar's drift).
    days = np.arctan2(year[:, 0], year[:, 1]) % (2 * np.pi) / (2 * np.pi) * 365.2425
    np.testing.assert_allclose(days, [5, 182], atol=0.5)


@pytest.mark.parametrize(
    ("frequency", "start", "phase"),
    [
        ("MS", "2021-04-01", 3 / 12),  # April: the month of the year
        ("ME", "2021-04-30", 3 / 12),
        ("QS-JAN", "2021-07-01", 2 / 4),  # the third quarter
        ("QE-DEC", "2021-09-30", 2 / 4),
        ("B", "2021-04-08", 3 / 5),  # a Thursday: the business week's fourth day
    ],
)
def test_calendar_features_match_the_frequency(frequency: str, start: str, phase: float) -> None:
    import pandas as pd

    from trainables.windows import calendar_features

    stamps = pd.date_range(start, periods=3, freq=frequency).to_numpy(dtype="datetime64[s]")
    features = calendar_features(stamps, frequency)
    angle = 2 * np.pi * phase
    # Months and quarters: one cycle only; business days: the week, then the time of year.
    assert features.shape == (3, 2 if frequency != "B" else 4)
    np.testing.assert_allclose(features[0, :2], [np.sin(angle), np.cos(angle)], atol=1e-12)
    assert calendar_features(stamps, "YS-JAN").shape == (3, 0)  # a year has no cycle


def test_the_calendar_is_given_over_the_forecast_window_too() -> None:
    from trainables.windows import calendar_features

    n = 24 * 30
    series = _series(HALF_HOUR, 100 + np.sin(np.arange(n) / 7), n * 6 // 10, n * 8 // 10)
    prepared = prepare(series, T=12, horizon=4, calendar=True)
    clock = calendar_features(series.timestamps, "30min")
    assert prepared.future_features == 4 and prepared.features.shape[1] == 2 + 4
    origins, future = prepared.valid.origins, prepared.valid.future
    assert future is not None and future.shape == (len(origins), 4, 4)
    for i in (0, len(origins) - 1):
        for h in range(1, 5):  # step h of the window of origin t: the calendar of t + h
            np.testing.assert_allclose(future[i, h - 1], clock[origins[i] + h], atol=1e-6)
        np.testing.assert_allclose(prepared.valid.x[i, -1, 2:], clock[origins[i]], atol=1e-6)


def test_residual_with_an_all_zero_network_reproduces_the_baseline() -> None:
    import keras

    from trainables.models import build_model
    from trainables.runs import predict_load

    n = 24 * 40
    hours = np.arange(n)
    values = 100 + 10 * np.sin(2 * np.pi * hours / 24) + hours / 50
    prepared = prepare(_series(HOUR, values, n * 6 // 10, n * 8 // 10), T=24, horizon=6)
    evaluation = Evaluation.of(prepared, "val_mae")
    based = prepared.with_baseline(SeasonalMean(evaluation.baseline_period))
    params = {"T": 24, "horizon": 6, "hidden_layers": 1, "latent_dim": 8, "alpha": 0.0}
    model = build_model("ffn", params, prepared.features.shape[1], 0, residual=True)
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    np.testing.assert_allclose(
        predict_load(model, based, based.test), evaluation.baseline_test, rtol=1e-5
    )
    assert isinstance(model, keras.Model) and len(model.inputs) == 2


def test_an_untrained_residual_model_is_its_baseline() -> None:
    """The last layer starts at zero, so training starts from the baseline's forecast."""
    from trainables.models import build_model
    from trainables.runs import predict_load

    n = 24 * 40
    values = 100 + 10 * np.sin(2 * np.pi * np.arange(n) / 24)
    prepared = prepare(_series(HOUR, values, n * 6 // 10, n * 8 // 10), 24, 6, calendar=True)
    evaluation = Evaluation.of(prepared, "val_mae")
    based = prepared.with_baseline(SeasonalMean(evaluation.baseline_period))
    params = {"T": 24, "horizon": 6, "hidden_layers": 1, "latent_dim": 8, "alpha": 0.0}
    model = build_model("ffn", params, prepared.features.shape[1], 4, residual=True)
    np.testing.assert_allclose(
        predict_load(model, based, based.test), evaluation.baseline_test, rtol=1e-5
    )
