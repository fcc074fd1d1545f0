"""The shared training loop: where it stops, and what a run ends with."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.trainables.test_inputs import series_with_temperature
from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS
from trainables.fit import fit_forecaster
from tuner.core.registry import RunContext

PARAMS = {**SHARED_HYPERPARAMETERS, **FAMILIES["ffn"][1], "T": 12, "horizon": 3}


def test_a_residual_run_no_epoch_of_which_beats_its_baseline_keeps_the_baseline(
    tmp_path: Path,
) -> None:
    """An untrained residual model is its baseline; when training only makes validation worse
    (here a learning rate far too high), the run ends with the baseline's forecast, epoch 0."""
    params = {**SHARED_HYPERPARAMETERS, **FAMILIES["ffn"][1], "T": 12, "horizon": 3}
    params.update(max_epochs=3, patience=1, residual="baseline", learning_rate=50.0)
    seen: list[dict[str, float]] = []
    context = RunContext(seen.append, tmp_path, primary_metric="val_mae", seed=3)
    final = fit_forecaster("ffn", params, series_with_temperature(()), context)
    assert final["best_epoch"] == 0
    assert all(epoch["val_mae"] > final["baseline_val_mae"] for epoch in seen)
    assert final["test_mae"] == pytest.approx(final["baseline_test_mae"], rel=1e-5)
    assert final["skill"] == pytest.approx(0.0, abs=1e-5)


def test_a_run_stopped_by_a_policy_ends_with_test_metrics_and_a_model(tmp_path: Path) -> None:
    """DESIGN §4: training ends at the report the policy stopped, the best epoch so far is
    restored, and the run still gets its forecast, model and test metrics."""
    params = {**PARAMS, "max_epochs": 20, "patience": 20}
    seen: list[dict[str, float]] = []
    context = RunContext(
        seen.append,
        tmp_path,
        primary_metric="val_mae",
        seed=5,
        stop_requested=lambda: len(seen) >= 3,
    )
    final = fit_forecaster("ffn", params, series_with_temperature(()), context)
    assert len(seen) == 3
    assert 1 <= final["best_epoch"] <= 3
    assert final["test_mae"] > 0 and "baseline_test_mae" in final
    assert (tmp_path / "model.keras").exists() and (tmp_path / "forecast.csv").exists()
