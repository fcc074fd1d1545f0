"""Calendar frequencies: inferred at upload from tiny hand-made series, gaps and all."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tuner.core.frequency import infer_frequency, nominal_seconds, steps_after
from tuner.core.uploads import UploadOptions, validate_csv
from tuner.errors import DataError


def _csv(stamps: list[str] | pd.DatetimeIndex, **columns: object) -> bytes:
    values = columns or {"y": np.arange(len(stamps), dtype=float) + 1}
    return pd.DataFrame({"timestamp": stamps, **values}).to_csv(index=False).encode()


@pytest.mark.parametrize(
    ("start", "frequency"),
    [
        ("2020-01-01", "5min"),
        ("2020-01-01", "30min"),
        ("2020-01-01", "h"),
        ("2020-01-01", "D"),
        ("2020-01-06", "B"),
        ("2020-01-05", "W-SUN"),
        ("2020-01-08", "W-WED"),
        ("1980-01-01", "MS"),
        ("1980-01-31", "ME"),
        ("1980-01-01", "QS-JAN"),
        ("1980-02-01", "QS-FEB"),
        ("1980-03-31", "QE-DEC"),
        ("1950-01-01", "YS-JAN"),
        ("1950-12-31", "YE-DEC"),
    ],
)
def test_the_frequency_is_inferred_with_and_without_gaps(start: str, frequency: str) -> None:
    stamps = pd.date_range(start, periods=60, freq=frequency)
    assert infer_frequency(stamps) == frequency
    gapped = stamps.delete([7, 20, 21])  # pandas' own inference gives up on these
    assert infer_frequency(gapped) == frequency
    _, validated = validate_csv(_csv(gapped), UploadOptions(fill_gaps=2))
    assert validated.frequency == frequency and validated.filled_rows == 3
    assert validated.rows == 60


def test_a_monthly_series_is_not_refused_for_months_of_unequal_length() -> None:
    """The first observed defect: 29 days to 1980-03-01 is one month, like 31 to 1980-02-01."""
    stamps = pd.date_range("1980-01-01", periods=48, freq="MS")
    canonical, validated = validate_csv(_csv(stamps))
    assert validated.frequency == "MS"
    assert validated.frequency_seconds == round(30.436875 * 86_400)  # a nominal month
    assert canonical.decode().splitlines()[3].startswith("1980-03-01 00:00:00,")


def test_month_starts_and_month_ends_are_told_apart() -> None:
    starts = pd.date_range("2001-01-01", periods=48, freq="MS")
    ends = pd.date_range("2001-01-31", periods=48, freq="ME")
    assert validate_csv(_csv(starts))[1].frequency == "MS"
    assert validate_csv(_csv(ends))[1].frequency == "ME"
    mixed = list(starts.astype(str))
    mixed[10] = "2001-11-30"  # one month end among month starts is named by its row
    with pytest.raises(DataError, match=r"row 12: timestamp 2001-11-30 .* not on the MS calendar"):
        validate_csv(_csv(mixed))


def test_a_given_frequency_overrides_the_inferred_one_and_a_bad_one_is_named() -> None:
    days = pd.date_range("2020-01-06", periods=60, freq="B")
    _, validated = validate_csv(_csv(days), UploadOptions(frequency="D", fill_gaps=2))
    assert validated.frequency == "D" and validated.filled_rows > 0  # weekends filled
    with pytest.raises(DataError, match=r"frequency 'fortnightly' is not a pandas frequency"):
        validate_csv(_csv(days), UploadOptions(frequency="fortnightly"))


def test_a_step_that_is_no_calendar_is_refused_with_the_option_that_fixes_it() -> None:
    stamps = pd.date_range("2020-01-15", periods=50, freq="30D")
    with pytest.raises(DataError, match=r"frequency="):
        infer_frequency(stamps.delete(5))  # gaps: pandas cannot infer, and 30 D is no month


def test_one_gap_refusal_gives_the_fill_that_covers_them_all() -> None:
    weeks = pd.date_range("2015-01-04", periods=100, freq="W-SUN")
    gapped = weeks.delete([10, 40, 41, 42, 43, 70, 71])  # gaps of 1, 4 and 2 weeks
    with pytest.raises(DataError) as refused:
        validate_csv(_csv(gapped))
    message = str(refused.value)
    assert "row 12" in message and "longest gap is 4 missing steps" in message
    assert "fill_gaps=4" in message
    _, validated = validate_csv(_csv(gapped), UploadOptions(fill_gaps=4))
    assert validated.filled_rows == 7


def test_forecast_timestamps_follow_the_calendar() -> None:
    assert list(steps_after(pd.Timestamp("2020-01-31"), "ME", 3).astype(str)) == [
        "2020-02-29",
        "2020-03-31",
        "2020-04-30",
    ]
    assert list(steps_after(pd.Timestamp("2021-01-08"), "B", 2).astype(str)) == [
        "2021-01-11",
        "2021-01-12",
    ]
    assert nominal_seconds("W-SUN") == 7 * 86_400 and nominal_seconds("30min") == 1800
