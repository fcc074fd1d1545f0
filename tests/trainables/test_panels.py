"""Panels: many series in one data set, one global model per run, results per series."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS
from trainables.datasets import Panel
from trainables.fit import fit_forecaster
from trainables.loading import load_for_tuning
from trainables.panels import SERIES_RESULTS
from trainables.scoring import baseline_forecast, mase_scale
from tuner.core.registry import RunContext
from tuner.core.settings import Settings
from tuner.core.uploads import UploadOptions, dataset_path, validate_csv
from tuner.errors import DataError

# Three monthly series: their own starts, lengths and scales, rows shuffled in the file.
SHAPES = {"north": ("2001-01-01", 96, 100.0), "south": ("2003-07-01", 84, 5.0),
          "west": ("2000-04-01", 120, 40.0)}


def panel_frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for name, (start, rows, level) in SHAPES.items():
        months = np.arange(rows)
        season = np.sin(2 * np.pi * (months % 12) / 12)
        values = level * (1 + 0.3 * season + 0.002 * months) + rng.normal(0, 0.03 * level, rows)
        stamps = pd.date_range(start, periods=rows, freq="MS")
        parts.append(pd.DataFrame({"region": name, "month": stamps, "sales": values}))
    return pd.concat(parts).sample(frac=1, random_state=seed)


def upload_panel(settings: Settings, frame: pd.DataFrame, dataset_id: str = "panel") -> Any:
    options = UploadOptions(timestamp_column="month", series_column="region")
    canonical, validated = validate_csv(frame.to_csv(index=False).encode(), options)
    path = dataset_path(settings, dataset_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(canonical)
    return validated


def test_a_panel_upload_records_each_series_in_any_row_order(settings: Settings) -> None:
    validated = upload_panel(settings, panel_frame())
    assert validated.frequency == "MS" and validated.rows == 96 + 84 + 120
    assert validated.series == [
        ["north", "2001-01-01T00:00:00", 96],
        ["south", "2003-07-01T00:00:00", 84],
        ["west", "2000-04-01T00:00:00", 120],
    ]


def test_a_series_with_a_gap_is_refused_naming_that_series(settings: Settings) -> None:
    frame = panel_frame().reset_index(drop=True)
    south = frame[frame["region"] == "south"].sort_values("month")
    gapped = frame.drop(index=south.index[30:33])  # three months missing from south alone
    with pytest.raises(DataError, match=r"series 'south', row \d+: .* skips 3 step\(s\) of MS"):
        upload_panel(settings, gapped)


def test_a_global_model_trains_on_a_panel_and_its_aggregate_is_the_mean_of_its_series(
    settings: Settings, tmp_path: Path
) -> None:
    upload_panel(settings, panel_frame())
    panel = load_for_tuning("panel", settings, {"target": "sales", "split": None, "room": 18})
    assert isinstance(panel, Panel) and [len(m) for m in panel.members] == [96, 84, 120]
    params = {**SHARED_HYPERPARAMETERS, **FAMILIES["ffn"][1], "T": 12, "horizon": 6}
    # A hybrid: each series' network corrects that series' own seasonal mean.
    params.update(max_epochs=2, calendar=True, residual="seasonal_mean")
    reports: list[dict[str, Any]] = []
    run_dir = tmp_path / "run"
    final = fit_forecaster(
        "ffn", params, panel, RunContext(reports.append, run_dir, primary_metric="val_mase", seed=1)
    )
    assert len(reports) == 2 and final["series_count"] == 3
    with (run_dir / SERIES_RESULTS).open() as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["series"] for r in rows) == sorted(SHAPES)
    for name in ("test_mase", "test_mae", "baseline_test_mase"):
        assert final[name] == pytest.approx(np.mean([float(r[name]) for r in rows]), rel=1e-9)
    beating = [float(r["skill"]) > 1e-6 for r in rows]
    assert final["series_beating_baseline"] == pytest.approx(sum(beating) / 3)
    assert final["skill"] == pytest.approx(1 - final["test_mase"] / final["baseline_test_mase"])
    with (run_dir / "forecast.csv").open() as handle:
        forecast = list(csv.DictReader(handle))
    assert {r["series"] for r in forecast} == set(SHAPES)
    for row in forecast[:20]:  # each step's own time, a calendar month (not 30 days) on
        step = pd.offsets.MonthBegin(int(row["horizon_step"]))
        assert pd.Timestamp(row["timestamp"]) == pd.Timestamp(row["origin"]) + step
    # The portable forecaster forecasts each series from its own history as the run did.
    from trainables.forecaster import load_forecaster

    forecaster = load_forecaster(run_dir)
    corrected = [own["residual_of"] for own in forecaster.description["series"].values()]
    assert len(corrected) == 3 and all(c["period"] in (1, 12) for c in corrected)
    histories = []
    for member in panel.members:  # type: ignore[union-attr]
        first = next(r for r in forecast if r["series"] == member.name)
        cut = int(np.searchsorted(member.timestamps, np.datetime64(first["origin"], "s")))
        rows = forecaster.needed_rows(member.name)
        histories.append(
            pd.DataFrame(
                {
                    "series": member.name,
                    "timestamp": pd.to_datetime(member.timestamps[cut + 1 - rows : cut + 1]),
                    "sales": member.target[cut + 1 - rows : cut + 1],
                }
            )
        )
    made = forecaster.predict(pd.concat(histories))
    for name in SHAPES:
        stored = [float(r["predicted"]) for r in forecast if r["series"] == name][:6]
        mine = made[made["series"] == name]["forecast"].to_numpy()
        np.testing.assert_allclose(mine, stored, atol=2e-3)


def test_each_series_baseline_is_its_own_and_matches_a_hand_computation(
    settings: Settings, tmp_path: Path
) -> None:
    from trainables.runs import prepare_run

    upload_panel(settings, panel_frame())
    panel = load_for_tuning("panel", settings, {"target": "sales", "split": None, "room": 18})
    params = {**SHARED_HYPERPARAMETERS, **FAMILIES["ffn"][1], "T": 12, "horizon": 6}
    run = prepare_run("ffn", params, panel, "val_mae")
    assert run.prepared.member_names == ("north", "south", "west")
    for member, part in zip(panel.members, run.evaluation.parts, strict=True):
        assert part.baseline == "seasonal_naive_12"  # a yearly season, found on validation
        valid_at = int(np.searchsorted(member.timestamps, member.valid_start))
        test_at = int(np.searchsorted(member.timestamps, member.test_start))
        origins = np.arange(test_at, len(member) - 6)
        by_hand = np.array([member.target[t + h - 12] for t in origins for h in range(1, 7)])
        np.testing.assert_allclose(part.baseline_test.ravel(), by_hand)
        np.testing.assert_allclose(
            part.baseline_test, baseline_forecast(member.target, origins, 6, 12)
        )
        assert part.scale == pytest.approx(mase_scale(member.target[:valid_at], 12))
    # Each window is unscaled with its own series' scaler: the stacked actuals read back.
    # The stacked windows are gathered, never materialised, and are each series' own.
    from trainables.gathered import Gathered
    from trainables.runs import _prepare_one

    train = run.prepared.train
    assert isinstance(train.x, Gathered) and train.x.nbytes < np.asarray(train.x).nbytes / 10
    for i, member in enumerate(panel.members):
        own = _prepare_one("ffn", params, member, "val_mae")[0].train
        rows = np.flatnonzero(train.member == i)
        np.testing.assert_allclose(np.asarray(train.x[rows]), own.x, rtol=1e-6)
        np.testing.assert_allclose(np.asarray(train.y[rows]), own.y, rtol=1e-6)
    scaled = np.asarray(run.prepared.test.y, dtype=np.float64)  # gathered: read on demand
    actual = run.prepared.unscale(run.prepared.test, scaled)
    np.testing.assert_allclose(actual, run.evaluation.actual_test, rtol=1e-5)


def test_a_trial_group_on_a_panel_reports_the_mean_over_its_members(
    settings: Settings, tmp_path: Path
) -> None:
    """Repeats work unchanged on the aggregate: each member's value is its own mean over the
    series, and the run reports the mean over members."""
    upload_panel(settings, panel_frame())
    panel = load_for_tuning("panel", settings, {"target": "sales", "split": None, "room": 18})
    params = {**SHARED_HYPERPARAMETERS, **FAMILIES["ffn"][1], "T": 12, "horizon": 6}
    params.update(max_epochs=2, patience=2)
    reports: list[dict[str, Any]] = []
    context = RunContext(
        reports.append, tmp_path / "group", primary_metric="val_mase", seed=4, repeats=2
    )
    final = fit_forecaster("ffn", params, panel, context)
    last = reports[-1]
    assert last["val_mase"] == pytest.approx(np.mean(last["val_mase_members"]), rel=1e-6)
    assert final["members"] == 2 and final["series_count"] == 3
    assert (tmp_path / "group" / SERIES_RESULTS).exists()
