"""The shared training loop: where it stops, and what a run ends with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
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
    params = {**PARAMS, "max_epochs": 20, "patience": 20, "residual": "none"}
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


def _spiky(n: int = 600) -> Any:
    """A daily shape with rare large spikes: MSE chases the spikes, MAE does not."""
    from tests.trainables.test_scoring import HOUR, _series

    hours = np.arange(n)
    rng = np.random.default_rng(4)
    load = 50 + 10 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 1, n)
    load[rng.choice(n, n // 25, replace=False)] += 60
    return _series(HOUR, load, n * 6 // 10, n * 8 // 10)


def test_the_best_epoch_follows_the_primary_measure_not_the_training_loss(
    tmp_path: Path,
) -> None:
    """Trained on MSE (loss: mse), judged on val_mae: the epoch kept is val_mae's best one."""
    params = {**PARAMS, "max_epochs": 8, "patience": 8, "loss": "mse", "learning_rate": 0.01}
    params["residual"] = "none"
    seen: list[dict[str, float]] = []
    context = RunContext(seen.append, tmp_path, primary_metric="val_mae", seed=2)
    final = fit_forecaster("ffn", params, _spiky(), context)
    maes = [epoch["val_mae"] for epoch in seen]
    assert final["best_epoch"] == 1 + int(np.argmin(maes))
    # The validation forecast of the kept epoch is the one val_mae chose: its test figures
    # come from those weights (the model saved is that epoch's).
    assert (tmp_path / "model.keras").exists()


@pytest.mark.parametrize(
    ("primary", "asked", "selection", "loss"),
    [
        ("val_mase", "auto", "val_mase", "mae"),
        ("val_mape", "auto", "val_mape", "mae"),
        ("val_rmse", "auto", "val_rmse", "mse"),
        ("val_loss", "auto", "val_loss", "mse"),
        ("val_mase", "huber", "val_mase", "huber"),
    ],
)
def test_the_training_loss_follows_the_primary_measure(
    primary: str, asked: str, selection: str, loss: str
) -> None:
    from trainables.runs import prepare_run

    run = prepare_run("ffn", {**PARAMS, "loss": asked}, series_with_temperature(()), primary)
    assert (run.selection, run.loss) == (selection, loss)


def test_a_target_never_negative_in_training_is_never_forecast_below_zero() -> None:
    from trainables.windows import _fit

    solar = _fit(np.array([0.0, 0.0, 300.0, 800.0, 0.0]))
    assert solar.unscale(np.array([-0.2, 0.5])).tolist() == [0.0, 400.0]
    signed = _fit(np.array([-5.0, 5.0]))
    assert signed.unscale(np.array([-0.2])).tolist() == [-7.0]


def test_a_group_members_best_epoch_follows_the_primary_measure() -> None:
    from trainables.groups import Fold, Member, _update

    member = Member(network=_Weights())
    fold = Fold(None, None, None, [member], loss="mse", selection="val_mae")  # type: ignore[arg-type]
    _update(fold, 1, [{"val_mae": 2.0, "val_loss": 0.5}])
    _update(fold, 2, [{"val_mae": 2.5, "val_loss": 0.1}])  # MSE better, MAE worse
    assert member.best_epoch == 1 and member.best_score == 2.0 and member.wait == 1
    assert member.best == {"val_mae": 2.0, "val_loss": 0.1}


class _Weights:
    def get_weights(self) -> list[float]:
        return [1.0]
