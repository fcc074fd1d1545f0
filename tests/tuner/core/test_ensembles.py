"""An ensemble's forecast rows: the weighted mean of its members', by hand."""

from __future__ import annotations

import pytest

from tuner.core.ensembles import weighted_rows


def _rows(*values: tuple[float, float]) -> list[dict]:
    return [
        {"timestamp": f"2024-01-01T0{h}:00:00", "horizon_step": h, "forecast": f, "q90": q}
        for h, (f, q) in enumerate(values, start=1)
    ]


def test_each_column_but_the_rows_name_is_the_weighted_mean() -> None:
    one, two = _rows((10.0, 12.0), (20.0, 24.0)), _rows((13.0, 18.0), (26.0, 30.0))
    mixed = weighted_rows([one, two], [2 / 3, 1 / 3])
    assert mixed == [
        {"timestamp": "2024-01-01T01:00:00", "horizon_step": 1, "forecast": 11.0, "q90": 14.0},
        {"timestamp": "2024-01-01T02:00:00", "horizon_step": 2, "forecast": 22.0, "q90": 26.0},
    ]
    assert weighted_rows([one], [1.0]) == one


def test_members_that_do_not_forecast_alike_are_refused() -> None:
    one = _rows((10.0, 12.0), (20.0, 24.0))
    with pytest.raises(ValueError, match="member 2 forecasts 1 rows"):
        weighted_rows([one, one[:1]], [0.5, 0.5])
    shifted = [{**r, "timestamp": "2024-02-01T00:00:00"} for r in one]
    with pytest.raises(ValueError, match="member 2's row 1"):
        weighted_rows([one, shifted], [0.5, 0.5])
    with pytest.raises(ValueError, match="one weight for each"):
        weighted_rows([one], [0.5, 0.5])
