"""Trial groups (DESIGN §6.4): N seeds x K folds trained in lockstep, reported as their mean."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.trainables.test_inputs import series_with_temperature
from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS
from trainables.groups import fit_group, fold_windows
from trainables.runs import predict_load, prepare_run
from tuner.core.registry import RunContext

PARAMS = {**SHARED_HYPERPARAMETERS, **FAMILIES["ffn"][1], "T": 12, "horizon": 3}


def test_each_fold_validates_on_its_block_and_trains_on_all_before_it() -> None:
    run = prepare_run("ffn", PARAMS, series_with_temperature(()), "val_mae")
    prepared, valid = run.prepared, run.prepared.valid.origins
    folds = fold_windows(prepared, run.evaluation, 3)
    blocks = np.array_split(valid, 3)
    for (fold, scoring), block in zip(folds, blocks, strict=True):
        np.testing.assert_array_equal(fold.valid.origins, block)
        assert fold.train.origins[-1] + prepared.horizon <= block[0]  # no target reaches it
        assert fold.train.origins[-1] + prepared.horizon >= block[0] - 1  # and all before it
        np.testing.assert_array_equal(
            fold.train.origins[: len(prepared.train)], prepared.train.origins
        )
        rows = np.searchsorted(valid, block)
        np.testing.assert_array_equal(scoring.actual_valid, run.evaluation.actual_valid[rows])
        assert len(fold.train.y) == len(fold.train.x) == len(fold.train.origins)


def test_a_group_reports_the_members_mean_and_std_and_forecasts_their_mean(
    tmp_path: Path,
) -> None:
    import keras

    params = {**PARAMS, "max_epochs": 3, "patience": 5}
    seen: list[dict[str, object]] = []
    ctx = RunContext(seen.append, tmp_path, primary_metric="val_mae", seed=11, repeats=3, folds=2)
    run = prepare_run("ffn", params, series_with_temperature(()), "val_mae")
    final = fit_group(run, params, ctx)
    assert len(seen) == 3 and final["members"] == 6
    previous = None
    for report in seen:
        members = np.array(report["val_mae_members"])
        assert len(members) == 6 and len(set(members.round(6))) > 1  # the seeds differ
        assert report["val_mae"] == pytest.approx(members.mean(), rel=1e-6)
        assert report["val_mae_std"] == pytest.approx(members.std(), rel=1e-5, abs=1e-9)
        sem = members.std(ddof=1) / np.sqrt(len(members))
        assert report["val_mae_sem"] == pytest.approx(sem, rel=1e-5, abs=1e-9)
        if previous is not None:
            assert np.all(members <= previous + 1e-12)  # each member's best so far
        previous = members
    # The test forecast is the mean of the last fold's three members, each saved.
    models = [
        keras.saving.load_model(tmp_path / "members" / f"fold2-seed{r}.keras") for r in (1, 2, 3)
    ]
    assert len(list((tmp_path / "members").glob("*.keras"))) == 6
    last = fold_windows(run.prepared, run.evaluation, 2)[-1][0]
    mean = np.mean([predict_load(m, last, last.test) for m in models], axis=0)
    written = np.loadtxt(tmp_path / "forecast.csv", delimiter=",", skiprows=1, usecols=2)
    np.testing.assert_allclose(written, mean.ravel(), atol=1e-3)
    assert final["test_mae"] == pytest.approx(run.evaluation.test(mean)["test_mae"], rel=1e-5)
