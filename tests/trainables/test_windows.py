"""The reference split, scalers on the training period only, zero-copy windows, no leakage."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from trainables.datasets import synthetic_series
from trainables.windows import prepare

SERIES = synthetic_series()
HOURS_TRAIN = 26_304 - 2 * 1464  # 2012-01-01 .. 2014-08-31
VALID_HOURS = TEST_HOURS = 1464  # Sep+Oct, Nov+Dec 2014: 61 days each


@pytest.mark.parametrize(("T", "horizon"), [(72, 24), (168, 24), (336, 3), (1, 1)])
def test_window_counts_per_split(T: int, horizon: int) -> None:
    prepared = prepare(SERIES, T, horizon)
    assert len(prepared.train) == HOURS_TRAIN - (T - 1) - horizon
    assert len(prepared.valid) == VALID_HOURS - horizon  # every origin from the period's first hour
    assert len(prepared.test) == TEST_HOURS - horizon
    assert prepared.train.x.shape == (len(prepared.train), T, 2)
    assert prepared.test.y.shape == (len(prepared.test), horizon)
    assert str(SERIES.timestamps[prepared.test.origins[0]]) == "2014-11-01T00:00:00"
    assert str(SERIES.timestamps[prepared.valid.origins[0]]) == "2014-09-01T00:00:00"


def test_window_contents_line_up() -> None:
    prepared = prepare(SERIES, 5, 3)
    origin = prepared.test.origins[10]
    np.testing.assert_array_equal(prepared.test.x[10], prepared.features[origin - 4 : origin + 1])
    np.testing.assert_array_equal(
        prepared.test.y[10], prepared.features[origin + 1 : origin + 4, 0]
    )
    np.testing.assert_allclose(
        prepared.actual_load(prepared.test)[10], SERIES.target[origin + 1 : origin + 4]
    )


def test_windows_share_memory_with_the_source() -> None:
    prepared = prepare(SERIES, 336, 24)
    for windows in (prepared.train, prepared.valid, prepared.test):
        assert np.shares_memory(windows.x, prepared.features)
        assert np.shares_memory(windows.y, prepared.features)
        assert windows.x.base is not None  # a view, not a copy


def test_scalers_fitted_on_training_period_only() -> None:
    prepared = prepare(SERIES, 72, 24)
    train_rows = SERIES.target[:HOURS_TRAIN]
    assert (
        prepared.load_scaler.low == train_rows.min()
        and prepared.load_scaler.high == train_rows.max()
    )
    sliced = prepare(SERIES, 72, 24, train_start="2014-06-01")
    assert sliced.load_scaler.low == SERIES.target[HOURS_TRAIN - 92 * 24 : HOURS_TRAIN].min()
    assert len(sliced.train) == 92 * 24 - 71 - 24


def test_changing_test_values_changes_nothing_trained_or_validated_on() -> None:
    load, temp = SERIES.target.copy(), SERIES.covariates.copy()
    load[-TEST_HOURS:] *= 3.0
    temp[-TEST_HOURS:] += 40.0
    changed = replace(SERIES, target=load, covariates=temp)
    before, after = prepare(SERIES, 168, 24), prepare(changed, 168, 24)
    assert before.load_scaler == after.load_scaler
    for split in ("train", "valid"):
        np.testing.assert_array_equal(getattr(before, split).x, getattr(after, split).x)
        np.testing.assert_array_equal(getattr(before, split).y, getattr(after, split).y)
    assert not np.array_equal(before.test.y, after.test.y)


def test_changing_validation_values_leaves_training_alone() -> None:
    load = SERIES.target.copy()
    load[HOURS_TRAIN : HOURS_TRAIN + VALID_HOURS] += 500
    before, after = prepare(SERIES, 72, 24), prepare(replace(SERIES, target=load), 72, 24)
    np.testing.assert_array_equal(before.train.x, after.train.x)
    np.testing.assert_array_equal(before.train.y, after.train.y)
