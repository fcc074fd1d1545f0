"""Refits: the source's configuration trained on training plus validation (and the test
period with include_test) for its best epochs, keeping its calibration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.trainables.test_inputs import N, series_with_temperature
from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS
from trainables.fit import fit_forecaster
from tuner.core.refits import Refit, source_epochs
from tuner.core.registry import RunContext

T, HORIZON = 12, 3
VALID_AT, TEST_AT = N * 6 // 10, N * 8 // 10  # series_with_temperature's boundaries


def params() -> dict[str, Any]:
    return {
        **SHARED_HYPERPARAMETERS,
        **FAMILIES["ffn"][1],
        "T": T,
        "horizon": HORIZON,
        "max_epochs": 3,
        "patience": 5,
        "residual": "none",  # a residual's baseline would need a season before the first origin
        "calendar": False,
    }


def source_and_refit(tmp_path: Path, include_test: bool) -> tuple[dict, dict, list[dict]]:
    series = series_with_temperature(())
    source = fit_forecaster(
        "ffn",
        params(),
        series,
        RunContext(lambda *_: None, tmp_path / "a", primary_metric="val_mae", seed=3),
    )
    reports: list[dict] = []
    refit = Refit(
        source="a",
        source_number=1,
        seed=3,
        epochs=source_epochs(source, 1),
        include_test=include_test,
        source_dir=str(tmp_path / "a"),
    )
    context = RunContext(
        lambda metrics, step=None: reports.append(dict(metrics)),
        tmp_path / "b",
        primary_metric="val_mae",
        seed=3,
        refit=refit,
    )
    return source, fit_forecaster("ffn", params(), series, context), reports


def test_a_refit_trains_on_training_and_validation_for_the_source_epochs(tmp_path: Path) -> None:
    source, made, reports = source_and_refit(tmp_path, include_test=False)
    # Training: origins T-1 .. VALID_AT-HORIZON-1; validation: VALID_AT .. TEST_AT-HORIZON-1.
    assert made["refit_windows"] == (VALID_AT - HORIZON - (T - 1)) + (TEST_AT - HORIZON - VALID_AT)
    last_before_test = pd.Timestamp("2020-01-01") + pd.Timedelta(hours=TEST_AT - 1)
    assert made["trained_through"] == str(last_before_test)
    assert len(reports) == source["best_epoch"] > 0 and made["best_epoch"] == source["best_epoch"]
    assert all(set(r) == {"loss"} for r in reports)  # nothing held out to validate on
    assert made["refit_of"] == "a" and "test_mae" in made and "test_pinball" in made
    # The source's calibration, kept: validation residuals are in sample now.
    kept = json.loads((tmp_path / "b" / "forecaster.json").read_text())["series"]
    theirs = json.loads((tmp_path / "a" / "forecaster.json").read_text())["series"]
    ours, source = kept[""]["calibration"], theirs[""]["calibration"]
    assert ours["ends"] == source["ends"]  # validation's windows, then the test period's
    validation = TEST_AT - HORIZON - VALID_AT
    assert ours["residuals"][:validation] == source["residuals"][:validation]
    assert ours["residuals"][validation:] != source["residuals"][validation:]  # its own
    assert (tmp_path / "b" / "forecast.csv").is_file()


def test_include_test_trains_on_everything_and_has_no_test_figures(tmp_path: Path) -> None:
    _, made, _ = source_and_refit(tmp_path, include_test=True)
    train, valid, test = (
        VALID_AT - HORIZON - (T - 1),
        TEST_AT - HORIZON - VALID_AT,
        N - HORIZON - TEST_AT,
    )
    assert made["refit_windows"] == train + valid + test
    assert not any(name.startswith("test_") for name in made)
    assert "include_test" in made["test"]
    assert not (tmp_path / "b" / "forecast.csv").exists()
    assert (tmp_path / "b" / "model.keras").is_file()


@pytest.mark.parametrize(
    ("final", "repeats", "epochs"),
    [
        ({"best_epoch": 7}, 1, (7,)),
        ({"best_epoch": 5, "member_best_epochs": [1, 2, 3, 4, 6, 8]}, 3, (4, 6, 8)),
        ({"best_epoch": 0}, 1, (0,)),
    ],
)
def test_source_epochs_are_the_last_folds_members(final: dict, repeats: int, epochs: tuple) -> None:
    assert source_epochs(final, repeats) == epochs


def test_a_trial_group_refits_every_seed_for_its_own_best_epoch(tmp_path: Path) -> None:
    series = series_with_temperature(())
    group = RunContext(
        lambda *_: None, tmp_path / "a", primary_metric="val_mae", seed=3, repeats=2
    )
    source = fit_forecaster("ffn", params(), series, group)
    epochs = source_epochs(source, 2)
    assert len(epochs) == 2 and source["member_best_epochs"] == list(epochs)
    reports: list[dict] = []
    refit = Refit("a", 1, 3, epochs, False, str(tmp_path / "a"))
    context = RunContext(
        lambda metrics, step=None: reports.append(dict(metrics)),
        tmp_path / "b",
        primary_metric="val_mae",
        seed=3,
        repeats=2,
        refit=refit,
    )
    made = fit_forecaster("ffn", params(), series, context)
    assert len(reports) == max(epochs)  # the stack trains until its last member's epoch
    assert made["refit_windows"] == (VALID_AT - HORIZON - (T - 1)) + (TEST_AT - HORIZON - VALID_AT)
    assert "test_coverage_10_90" in made
