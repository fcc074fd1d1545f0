"""Every family builds and trains on a small slice; reports, artifacts and reloads are right."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS
from trainables.datasets import synthetic_series
from trainables.fit import fit_forecaster
from trainables.measures import MEASURES
from tuner.core.registry import RunContext, get_trainable

SERIES = synthetic_series()
SMALL = {
    "T": 24,
    "horizon": 6,
    "max_epochs": 2,
    "batch_size": 64,
    "train_start": "2014-08-01",
    "patience": 5,
}
GRIDS: dict[str, dict[str, list[Any]]] = {
    "ffn": {"hidden_layers": [1, 2], "alpha": [0.0, 0.001]},
    "rnn": {"cell": ["gru", "lstm"], "latent_dim_2": [0, 5]},
    "encoder_decoder": {"cell": ["gru", "lstm"], "encoder_dim_2": [0, 5], "decoder_dim_2": [0, 5]},
    "cnn": {"kernel_size": [2, 3], "layers": [2, 4]},
}
# rnn_teacher_forcing trains in test_calendar_and_residual_train_and_reload (an LSTM there).
# Every cell of every grid: 20 compiled models, minutes on two cores; run by name (-m slow).
ALL_CELLS = [
    (family, dict(zip(grid, combo, strict=True)))
    for family, grid in GRIDS.items()
    for combo in itertools.product(*grid.values())
]
# The default suite: each value of each option trains at least once, in two cells per family
# (all first values, then all second values), so every builder branch is compiled and trained.
EACH_VALUE = [
    (family, {name: values[i] for name, values in grid.items()})
    for family, grid in GRIDS.items()
    for i in (0, 1)
]
CELLS = [
    *(pytest.param(*cell, id=f"{cell[0]}-{cell[1]}") for cell in EACH_VALUE),
    *(
        pytest.param(*cell, id=f"{cell[0]}-{cell[1]}-full", marks=pytest.mark.slow)
        for cell in ALL_CELLS
        if cell not in EACH_VALUE
    ),
]


def train(
    family: str, overrides: dict[str, Any], run_dir: Path
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    params = {**SHARED_HYPERPARAMETERS, **FAMILIES[family][1], **SMALL, **overrides}
    reports: list[dict[str, Any]] = []
    final = fit_forecaster(
        family,
        params,
        SERIES,
        RunContext(report=reports.append, run_dir=run_dir, cpus=1, primary_metric="val_mape"),
    )
    return reports, final


@pytest.mark.parametrize(("family", "cell"), CELLS)
def test_family_trains_two_epochs_for_each_grid_cell(
    family: str, cell: dict[str, Any], tmp_path: Path
) -> None:
    reports, final = train(family, cell, tmp_path)
    assert len(reports) == 2
    for report in reports:
        assert set(report) == {"loss", "val_loss", *(f"val_{m}" for m in MEASURES)}
        assert all(isinstance(v, float) and np.isfinite(v) for v in report.values())
    assert set(final) == {
        *(f"test_{m}" for m in MEASURES),
        "test_mape_by_horizon",
        "best_epoch",
        "baseline",
        *(f"baseline_test_{m}" for m in MEASURES),
        *(f"baseline_val_{m}" for m in MEASURES),
        "skill",
        "skill_measure",
        "device",
        "quantiles",
        "test_pinball",
        "baseline_test_pinball",
        "test_coverage_10_90",
        "baseline_test_coverage_10_90",
        "residual_of",  # the default residual corrects the baseline
    }
    assert final["residual_of"] == final["baseline"]
    assert set(final) <= set(get_trainable(family).final_metrics)  # type: ignore[union-attr]
    assert final["device"] == "CPU"  # a run given no GPU trains on the CPU
    # 0: no epoch beat the untrained residual network, the baseline (residual: baseline).
    assert len(final["test_mape_by_horizon"]) == 6 and final["best_epoch"] in (0, 1, 2)
    assert final["test_mape"] == pytest.approx(np.mean(final["test_mape_by_horizon"]), rel=1e-4)
    # Hourly data: the last value and the day, week and year seasons were the candidates.
    assert final["baseline"] in ("naive", "seasonal_naive_24", "seasonal_naive_168")
    assert final["skill"] == pytest.approx(
        1 - final["test_mape"] / final["baseline_test_mape"], rel=1e-9
    )


def test_declared_metrics_match_what_is_reported() -> None:
    for family in FAMILIES:
        definition = get_trainable(family)
        assert definition is not None
        assert definition.metrics == ("loss", "val_loss", *(f"val_{m}" for m in MEASURES))
        assert "skill" in definition.final_metrics and "baseline" in definition.final_metrics


def test_saved_model_reloads_and_reproduces_the_forecast(tmp_path: Path) -> None:
    import keras

    from trainables.runs import predict_load
    from trainables.windows import prepare

    _, final = train("encoder_decoder", {"calendar": False, "residual": "none"}, tmp_path)
    model = keras.models.load_model(tmp_path / "model.keras")
    prepared = prepare(SERIES, SMALL["T"], SMALL["horizon"], SMALL["train_start"])
    again = predict_load(model, prepared, prepared.test)
    with (tmp_path / "forecast.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(prepared.test) * 6
    assert rows[0]["origin"] == "2014-11-01 00:00:00" and rows[0]["horizon_step"] == "1"
    saved = np.array([float(r["predicted"]) for r in rows]).reshape(-1, 6)
    np.testing.assert_allclose(again, saved, atol=2e-3)
    actual = np.array([float(r["actual"]) for r in rows]).reshape(-1, 6)
    assert 100 * np.mean(np.abs(saved - actual) / actual) == pytest.approx(
        final["test_mape"], rel=1e-3
    )


def test_early_stopping_restores_the_best_epoch(tmp_path: Path) -> None:
    """Judged on the primary metric (val_mape here), not on val_loss."""
    overrides = {"max_epochs": 6, "patience": 1, "learning_rate": 0.5, "residual": "none"}
    reports, final = train("ffn", overrides, tmp_path)
    scores = [r["val_mape"] for r in reports]
    assert final["best_epoch"] == int(np.argmin(scores)) + 1
    assert len(reports) <= 6


def test_run_uses_exactly_the_cpus_it_was_given() -> None:
    import subprocess
    import sys

    code = (
        "from trainables.fit import configure_tensorflow; configure_tensorflow(1.0, 0.0); "
        "import tensorflow as tf; t = tf.config.threading; "
        "print(t.get_intra_op_parallelism_threads(), t.get_inter_op_parallelism_threads(), "
        "len(tf.config.get_visible_devices('GPU')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-3:] == ["1", "1", "0"]


@pytest.mark.parametrize("family", ["ffn", "rnn_teacher_forcing"])
def test_calendar_and_residual_train_and_reload(family: str, tmp_path: Path) -> None:
    """The shared inputs (DESIGN §6.2) in a family: the saved model takes the window, the
    calendar ahead and the baseline, and reproduces the forecast it wrote. The teacher-forced
    family (an LSTM here; GRU in the default cells) is fed the true previous values in
    training and its own predictions at inference."""
    import keras

    from trainables.runs import predict_load, prepare_run

    teacher = "teacher" in family
    overrides = {"calendar": True, "residual": "baseline", **({"cell": "lstm"} if teacher else {})}
    _, final = train(family, overrides, tmp_path)
    model = keras.models.load_model(tmp_path / "model.keras")
    names = [i.name for i in model.inputs]
    fed = ["previous_values"] if teacher else []
    assert names == ["window", *fed, "calendar_ahead", "baseline"]
    params = {**SHARED_HYPERPARAMETERS, **FAMILIES[family][1], **SMALL, **overrides}
    run = prepare_run(family, params, SERIES, "val_mape")
    assert run.evaluation.baseline == final["baseline"]
    based = run.prepared  # the window carries the baseline's recent errors too
    assert based.features.shape[1] == 1 + 1 + 1 + 4  # load, temp, its difference, calendar
    again = predict_load(model, based, based.test)
    with (tmp_path / "forecast.csv").open() as handle:
        saved = np.array([float(r["predicted"]) for r in csv.DictReader(handle)]).reshape(-1, 6)
    np.testing.assert_allclose(again, saved, atol=2e-3)
    if teacher:
        window, previous, *_ = (np.array(a[:64]) for a in based.test.inputs)
        assert np.array_equal(previous[:, 0], window[:, -1, 0])  # y[t]: the last observed
        scrambled = previous.copy()
        scrambled[:, 1:] = np.random.default_rng(0).uniform(size=scrambled[:, 1:].shape)

        # The family's own network inside: a residual run that kept its baseline has a zero
        # last layer, which would hide what the decoder is fed.
        core = next(layer for layer in model.layers if isinstance(layer, keras.Model))

        def run(values: np.ndarray, training: bool) -> np.ndarray:
            return np.asarray(core([window, values], training=training))

        np.testing.assert_allclose(run(previous, False), run(scrambled, False), atol=1e-6)
        assert not np.allclose(run(previous, True), run(scrambled, True))  # teacher forcing
