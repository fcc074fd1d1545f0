"""Checks a spec can only pass against its data: trial-group folds, windows that fit."""

from __future__ import annotations

from datetime import datetime

import pytest

from trainables.checks import check_windows_fit
from trainables.splits import SeriesShape, split_rows
from tuner.core.spec import parse_spec
from tuner.errors import SpecError

SHAPE = SeriesShape(datetime(2020, 1, 1), rows=400, frequency="h")  # 60 validation rows


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
            "fixed": {"T": 130, "horizon": 10},
            "search_space": {"latent_dim": {"choice": [4]}},
            "primary_metric": {"name": "val_mae", "goal": "minimize"},
            "budget": {"max_total_runs": 1},
        }
    )
    with pytest.raises(SpecError) as refused:
        check_windows_fit(spec, SHAPE)
    (problem,) = refused.value.problems
    assert problem.field == "fixed.T"
    # No default split fits 140 rows thrice into 400: the largest T is a third less horizon.
    assert f"the largest T that fits is {400 // 3 - 10}" in problem.message
    assert "default split" in problem.message


def test_the_default_split_of_a_short_series_makes_room_for_a_window_in_each_period() -> None:
    import numpy as np
    import pandas as pd

    from trainables.datasets import Series
    from trainables.uploaded import apply_split
    from trainables.windows import prepare

    monthly = SeriesShape(datetime(2000, 1, 1), rows=100, frequency="MS")
    rows = split_rows(monthly, None, room=24 + 6)  # 15 % would be 15 rows: too few for 30
    assert rows == {"train": 40, "validation": 30, "test": 30}
    assert split_rows(monthly, None) == {"train": 70, "validation": 15, "test": 15}
    stamps = pd.date_range("2000-01-01", periods=100, freq="MS").to_numpy(dtype="datetime64[s]")
    series = Series("m", stamps, np.sin(np.arange(100.0)) + 5, np.zeros((100, 0)), frequency="MS")
    split = apply_split(series, None, room=30)  # the loader splits as the check counted
    assert split.valid_start == stamps[40] and split.test_start == stamps[70]
    prepared = prepare(split, T=24, horizon=6)
    assert min(len(prepared.valid), len(prepared.test)) >= 1


def test_a_date_split_counts_calendar_months() -> None:
    monthly = SeriesShape(datetime(2000, 1, 31), rows=48, frequency="ME")
    split = {"valid_start": "2002-01-01", "test_start": "2003-01-01"}
    assert split_rows(monthly, split) == {"train": 24, "validation": 12, "test": 12}
