"""The experiment's ensemble: greedy selection with replacement, by hand on three tiny runs."""

from __future__ import annotations

import numpy as np
import pytest

from trainables.ensemble import ensemble_forecast, greedy_selection, mean_absolute_error

ACTUAL = np.array([[0.0, 0.0]])
RUNS = [np.array([[1.0, 1.0]]), np.array([[-2.0, -2.0]]), np.array([[3.0, 3.0]])]


def test_the_selection_by_hand() -> None:
    # Forecasts 1, -2 and 3 of an actual 0; the running mean's MAE after each pick:
    # round 1: 1, 2, 3 -> run 0 (1). Round 2: 1, 0.5, 2 -> run 1 (0.5).
    # Round 3: 0, 1, 0.67 -> run 0 (0, the best of all). Round 4: 0.25 -> run 0.
    # Round 5: 0.2 -> run 1. Round 6: 0 again, no better -> kept at round 3: 2 of run 0, 1 of run 1.
    weights = greedy_selection(RUNS, ACTUAL, mean_absolute_error, rounds=6)
    np.testing.assert_allclose(weights, [2 / 3, 1 / 3, 0.0])
    assert mean_absolute_error(ensemble_forecast(RUNS, weights), ACTUAL) == pytest.approx(0.0)


def test_the_ensemble_is_the_weighted_mean_and_never_worse_than_the_best_run() -> None:
    rng = np.random.default_rng(0)
    actual = rng.normal(size=(50, 4))
    runs = [actual + rng.normal(scale=s, size=actual.shape) for s in (0.5, 1.0, 2.0, 0.7)]
    weights = greedy_selection(runs, actual)
    assert weights.sum() == pytest.approx(1.0) and (weights >= 0).all()
    made = ensemble_forecast(runs, weights)
    np.testing.assert_allclose(made, sum(w * r for w, r in zip(weights, runs, strict=True)))
    best = min(mean_absolute_error(r, actual) for r in runs)
    assert mean_absolute_error(made, actual) <= best
    # One run that is best everywhere: the ensemble is that run alone.
    alone = greedy_selection([actual + 5, actual, actual - 5], actual, rounds=10)
    np.testing.assert_allclose(alone, [0.0, 1.0, 0.0])


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="forecasts"):
        greedy_selection([], ACTUAL)
    with pytest.raises(ValueError, match="rounds"):
        greedy_selection(RUNS, ACTUAL, rounds=0)


def test_the_ensemble_of_stored_runs_is_the_weighted_mean_of_their_forecasts(tmp_path) -> None:
    import pandas as pd

    from trainables.ensemble import ensemble_of_runs

    def write(folder, kind: str, predicted: list[float], actual: list[float]) -> None:
        folder.mkdir(exist_ok=True)
        pd.DataFrame(
            {
                "origin": ["2020-01-01 00:00:00"] * 2,
                "horizon_step": [1, 2],
                "predicted": predicted,
                "actual": actual,
                "timestamp": ["2020-01-01 01:00:00", "2020-01-01 02:00:00"],
            }
        ).to_csv(folder / f"{kind}.csv", index=False)

    for name, shift in (("a", 1.0), ("b", -2.0), ("c", 3.0)):
        write(tmp_path / name, "validation", [shift, shift], [0.0, 0.0])
        write(tmp_path / name, "forecast", [10 + shift, 20 + shift], [10.0, 20.0])
    (tmp_path / "refit").mkdir()  # no validation forecast: skipped
    write(tmp_path / "refit", "forecast", [0.0, 0.0], [10.0, 20.0])
    folders = sorted(p for p in tmp_path.iterdir())
    weights, made = ensemble_of_runs(folders, rounds=6)
    assert weights == pytest.approx({"a": 2 / 3, "b": 1 / 3})
    assert made["predicted"].tolist() == pytest.approx([10.0, 20.0])  # (2·11 + 8) / 3, …
    assert made["actual"].tolist() == [10.0, 20.0]
    # Selected on the primary measure: by MAE run a (1.5 against 2), by RMSE run b (2 < 2.12).
    for name, (a, b) in (("a", ([0.0, 3.0], [1.0, 1.0])), ("b", ([2.0, 2.0], [1.0, 1.0]))):
        write(tmp_path / name, "validation", a, [0.0, 0.0])
        write(tmp_path / name, "forecast", b, [0.0, 0.0])
    pair = [tmp_path / "a", tmp_path / "b"]
    assert ensemble_of_runs(pair, rounds=1, primary="mae")[0] == {"a": 1.0}
    assert ensemble_of_runs(pair, rounds=1, primary="rmse")[0] == {"b": 1.0}


def test_a_panels_ensemble_weighs_each_series_on_its_own_scale(tmp_path) -> None:
    import pandas as pd

    from trainables.ensemble import ensemble_of_runs, experiment_ensemble
    from trainables.panels import write_series_results

    # Two series, MASE scales 100 and 1 (a run's series.csv: test MAE over test MASE).
    # Run a errs 10 on the big one and 1 on the small one: MAE 5.5, MASE (0.1 + 1) / 2 = 0.55;
    # run b errs 20 and 0.1: MAE 10.05, MASE (0.2 + 0.1) / 2 = 0.15. On MAE, a; on MASE, b.
    def write(folder, kind: str, big: float, small: float) -> None:
        folder.mkdir(exist_ok=True)
        pd.DataFrame(
            {
                "series": ["big", "small"],
                "origin": ["2020-01-01"] * 2,
                "horizon_step": [1, 1],
                "predicted": [1000.0 + big, 10.0 + small],
                "actual": [1000.0, 10.0],
                "timestamp": ["2020-02-01"] * 2,
            }
        ).to_csv(folder / f"{kind}.csv", index=False)

    for name, (big, small) in (("a", (10.0, 1.0)), ("b", (20.0, 0.1))):
        for kind in ("validation", "forecast"):
            write(tmp_path / name, kind, big, small)
        rows = [
            {"series": "big", "test_mae": big, "test_mase": big / 100, "skill": 0.1},
            {"series": "small", "test_mae": small, "test_mase": small, "skill": 0.1},
        ]
        write_series_results(tmp_path / name / "series.csv", rows)
    pair = [tmp_path / "a", tmp_path / "b"]
    assert ensemble_of_runs(pair, rounds=1, primary="mae")[0] == {"a": 1.0}
    assert ensemble_of_runs(pair, rounds=1, primary="mase")[0] == {"b": 1.0}
    finals = [
        {"skill_measure": "mase", "test_mae": 5.5, "test_mase": 0.55},
        {"skill_measure": "mase", "test_mae": 10.05, "test_mase": 0.15},
    ]
    made = experiment_ensemble(pair, finals)
    assert made["weights"] == {"b": 1.0}
    # The mean of the series' own MASEs, not MAE times one run's MASE / MAE ratio.
    assert made["test"]["test_mase"] == pytest.approx(0.15)
    assert made["test"]["test_mae"] == pytest.approx(10.05)
