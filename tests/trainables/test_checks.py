"""Checks a spec can only pass against its data: trial-group folds, windows that fit."""

from __future__ import annotations

from datetime import datetime

import pytest

from trainables.checks import check_windows_fit
from trainables.splits import SeriesShape, split_rows
from tuner.core.spec import parse_spec
from tuner.errors import SpecError

SHAPE = SeriesShape(datetime(2020, 1, 1), rows=400, step_seconds=3600)  # 60 validation rows


def spec_with_folds(folds: int) -> object:
    return parse_spec(
        {
            "name": "folds",
            "trainable": "ffn",
            "dataset": "uploaded",
            "target": "y",
            "fixed": {"T": 4, "horizon": 55},
            "search_space": {"latent_dim": {"choice": [4]}},
            "primary_metric": {"name": "val_mae", "goal": "minimize"},
            "evaluation": {"folds": folds},
            "budget": {"max_total_runs": 1},
        }
    )


def test_folds_need_a_validation_window_each() -> None:
    check_windows_fit(spec_with_folds(5), SHAPE)  # 60 - 55 = 5 windows: one per fold
    with pytest.raises(SpecError) as refused:
        check_windows_fit(spec_with_folds(6), SHAPE)
    assert refused.value.problems[0].field == "evaluation.folds"
    assert "the split has 5" in str(refused.value)


def test_a_window_too_long_names_the_largest_T_that_fits() -> None:
    spec = parse_spec(
        {
            "name": "short",
            "trainable": "ffn",
            "fixed": {"T": 60, "horizon": 10},
            "search_space": {"latent_dim": {"choice": [4]}},
            "primary_metric": {"name": "val_mae", "goal": "minimize"},
            "budget": {"max_total_runs": 1},
        }
    )
    with pytest.raises(SpecError) as refused:
        check_windows_fit(spec, SHAPE)
    (problem,) = refused.value.problems
    rows = split_rows(SHAPE, None)
    room = min(rows.values())
    assert problem.field == "fixed.T"
    assert f"the largest T that fits is {room - 10}" in problem.message
