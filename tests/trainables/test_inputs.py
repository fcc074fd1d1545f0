"""Future covariates (DESIGN §6.2): given over the forecast window, and labelled ex post."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.trainables.test_scoring import HOUR, _series
from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS
from trainables.fit import fit_forecaster
from trainables.windows import prepare
from tuner.client.schemas import Run
from tuner.core.registry import RunContext
from tuner.core.spec import parse_spec
from tuner.errors import SpecError

N = 24 * 30


def series_with_temperature(future: tuple[str, ...]) -> Any:
    hours = np.arange(N)
    load = 100 + 10 * np.sin(2 * np.pi * hours / 24) + np.sin(hours / 5)
    return replace(_series(HOUR, load, N * 6 // 10, N * 8 // 10), future_covariates=future)


def test_future_covariates_are_given_over_the_forecast_window() -> None:
    prepared = prepare(series_with_temperature(("temp",)), T=12, horizon=3, calendar=True)
    assert prepared.future_features == 1 + 4  # temp, then the calendar
    origins, future = prepared.valid.origins, prepared.valid.future
    assert future is not None
    for i in (0, len(origins) // 2):
        for h in (1, 2, 3):  # the scaled temperature at t + h, beside the calendar of t + h
            assert future[i, h - 1, 0] == prepared.features[origins[i] + h, 1]
            np.testing.assert_array_equal(
                future[i, h - 1, 1:], prepared.features[origins[i] + h, 2:]
            )
    plain = prepare(series_with_temperature(()), T=12, horizon=3)
    assert plain.future_features == 0 and plain.valid.future is None


def test_results_with_future_covariates_are_labelled_ex_post(tmp_path: Path) -> None:
    params = {**SHARED_HYPERPARAMETERS, **FAMILIES["ffn"][1], "T": 12, "horizon": 3}
    params["max_epochs"] = 1
    final = fit_forecaster(
        "ffn",
        params,
        series_with_temperature(("temp",)),
        RunContext(report=lambda _: None, run_dir=tmp_path, primary_metric="val_mae"),
    )
    assert final["ex_post"] == ["temp"]
    run = Run.model_validate(
        {
            "id": "r", "experiment_id": "e", "number": 1, "status": "completed", "params": {},
            "best_metric": 1.0, "epochs": 1, "stopped_at_interval": None, "attempts": 1,
            "started_at": None, "finished_at": None, "error": None, "node": None,
            "final_metrics": final,
        }
    )  # fmt: skip
    comparison = run.against_baseline()
    assert comparison is not None and "ex post: actual temp stood in" in comparison.sentence()


def test_a_future_covariate_the_data_lacks_is_refused() -> None:
    spec = {
        "name": "x",
        "trainable": "ffn",
        "future_covariates": ["humidity"],
        "search_space": {"latent_dim": {"choice": [4]}},
        "primary_metric": {"name": "val_mape", "goal": "minimize"},
        "budget": {"max_total_runs": 1},
    }
    with pytest.raises(SpecError) as refused:
        parse_spec(spec)
    assert refused.value.problems[0].field == "future_covariates"
    assert parse_spec({**spec, "future_covariates": ["temp"]}).future_covariates == ["temp"]


def test_the_same_seed_gives_the_same_metrics(tmp_path: Path) -> None:
    """DESIGN §6.4: two runs of one configuration and seed report identical val_ series."""
    params = {**SHARED_HYPERPARAMETERS, **FAMILIES["ffn"][1], "T": 12, "horizon": 3}
    params.update(max_epochs=2, calendar=True, residual="baseline")
    series = series_with_temperature(())

    def reports(seed: int, run: str) -> list[dict[str, float]]:
        seen: list[dict[str, float]] = []
        context = RunContext(seen.append, tmp_path / run, primary_metric="val_mae", seed=seed)
        fit_forecaster("ffn", params, series, context)
        return seen

    first, again, other = reports(7, "a"), reports(7, "b"), reports(8, "c")
    assert first == again  # every value of every epoch, exactly
    assert first != other


def test_the_difference_column_holds_the_baselines_recent_errors() -> None:
    """With residual, each step also carries y[t] − y[t−P] (scaled; 0 before P), never over
    the forecast window."""
    series, period = series_with_temperature(()), 24
    plain = prepare(series, T=12, horizon=3, calendar=True)
    prepared = prepare(series, T=12, horizon=3, calendar=True, difference_period=period)
    assert prepared.features.shape[1] == plain.features.shape[1] + 1
    scaled = prepared.features[:, 0].astype(np.float64)
    column = prepared.features[:, 2]  # after the target and temp, before the calendar
    np.testing.assert_array_equal(column[:period], 0.0)
    np.testing.assert_allclose(column[period:], scaled[period:] - scaled[:-period], atol=1e-6)
    np.testing.assert_array_equal(prepared.features[:, 3:], plain.features[:, 2:])
    assert prepared.future_features == plain.future_features == 4  # the calendar alone
    assert prepared.valid.future is not None and plain.valid.future is not None
    np.testing.assert_array_equal(prepared.valid.future, plain.valid.future)
