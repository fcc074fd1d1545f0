"""A real forecaster tuned through the whole engine: Ray workers, the store, artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainables.measures import MEASURES
from tuner.core.settings import Settings
from tuner.core.spec import parse_spec
from tuner.engine.driver import run_experiment
from tuner.store import Store

pytestmark = pytest.mark.usefixtures("ray_session")


def test_ffn_experiment_on_synthetic_data(settings: Settings, store: Store) -> None:
    spec = parse_spec(
        {
            "name": "ffn-synthetic",
            "trainable": "ffn",
            "dataset": "synthetic",
            "fixed": {
                "T": 24,
                "horizon": 6,
                "max_epochs": 2,
                "train_start": "2014-08-01",
                "batch_size": 64,
            },
            "search_space": {"latent_dim": {"choice": [5, 10]}},
            "sampling": {"method": "grid", "seed": 5},
            "primary_metric": {"name": "val_mape", "goal": "minimize"},
            "budget": {"max_total_runs": 2, "max_concurrent_runs": 2},
        }
    )
    record = run_experiment(store.create_experiment(spec).id, settings, store)
    assert record.status == "completed", record.stop_reason
    runs = store.list_runs(record.id)
    assert len(runs) == 2 and all(r.status == "completed" and r.epochs == 2 for r in runs)
    for run in runs:
        rows = store.metric_rows(run.id)
        reported = {"loss", "val_loss", *(f"val_{m}" for m in MEASURES)}
        assert [set(r.values) for r in rows] == [reported] * 2
        assert run.best_metric == min(r.values["val_mape"] for r in rows)
        final = run.final_metrics
        assert final and len(final["test_mape_by_horizon"]) == 6
        # The engine told the trainable its primary metric: the baseline is chosen on MAPE.
        assert final["skill_measure"] == "mape" and final["baseline"].startswith("seasonal_naive")
        run_dir = settings.resolved_storage_path / record.id / run.artifact_dir
        assert (run_dir / "model.keras").exists() and (run_dir / "forecast.csv").exists()
    best = store.best_run(record.id)
    assert best is not None and best.best_metric == min(r.best_metric for r in runs)

    # DESIGN §6.4: the same spec and seed again, runs trained side by side in another order
    # perhaps: each run number has the same seed and the same metrics, every value of every
    # epoch.
    again = run_experiment(store.create_experiment(spec).id, settings, store)
    assert again.status == "completed", again.stop_reason

    def series(experiment_id: str) -> dict[int, tuple[int | None, list[dict[str, float]]]]:
        return {
            run.number: (run.seed, [row.values for row in store.metric_rows(run.id)])
            for run in store.list_runs(experiment_id)
        }

    assert series(again.id) == series(record.id)


def test_missing_data_fails_the_experiment_with_a_clear_reason(
    tmp_path: Path, store: Store
) -> None:
    settings = Settings(home=tmp_path / "home", data_dir=tmp_path / "empty")
    import os

    os.environ["TUNEDRIVE_GEFCOM_URL"] = "http://127.0.0.1:9/GEFCom2014.zip"
    try:
        spec = parse_spec(
            {
                "name": "no-data",
                "trainable": "ffn",
                "search_space": {"latent_dim": {"choice": [5]}},
                "primary_metric": {"name": "val_mape", "goal": "minimize"},
                "budget": {"max_total_runs": 1},
            }
        )
        record = run_experiment(store.create_experiment(spec).id, settings, store)
    finally:
        del os.environ["TUNEDRIVE_GEFCOM_URL"]
    assert record.status == "failed"
    assert "put energy.csv" in (record.stop_reason or "")


def test_a_trial_group_through_the_engine_is_judged_on_its_mean(
    settings: Settings, store: Store
) -> None:
    spec = parse_spec(
        {
            "name": "ffn-group",
            "trainable": "ffn",
            "dataset": "synthetic",
            "fixed": {"T": 24, "horizon": 6, "max_epochs": 2, "train_start": "2014-08-01"},
            "search_space": {"latent_dim": {"choice": [5]}},
            "primary_metric": {"name": "val_mase", "goal": "minimize"},
            "evaluation": {"repeats": 2, "folds": 2},
            "budget": {"max_total_runs": 1},
        }
    )
    record = run_experiment(store.create_experiment(spec).id, settings, store)
    assert record.status == "completed", record.stop_reason
    (run,) = store.list_runs(record.id)
    rows = store.metric_rows(run.id)
    assert len(rows) == 2
    for row in rows:
        members = row.values["val_mase_members"]
        assert len(members) == 4 and "val_mase_std" in row.values
        assert row.primary_value == pytest.approx(sum(members) / 4)  # what policies saw
    assert run.best_metric == min(r.primary_value for r in rows)
    assert run.final_metrics and run.final_metrics["members"] == 4
    members_dir = settings.resolved_storage_path / record.id / run.artifact_dir / "members"
    assert len(list(members_dir.glob("*.keras"))) == 4
