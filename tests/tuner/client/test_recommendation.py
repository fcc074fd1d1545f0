"""What an experiment recommends: its best run, or the baseline that validation preferred."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tuner.client.recommendation import recommend
from tuner.client.schemas import Experiment


def _run(best: float | None, final: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": "r1",
        "experiment_id": "e1",
        "number": 3,
        "status": "completed",
        "params": {},
        "best_metric": best,
        "epochs": 5,
        "stopped_at_interval": None,
        "attempts": 1,
        "error": None,
        "node": None,
        "started_at": None,
        "finished_at": None,
        "final_metrics": final,
    }


def _experiment(run: dict[str, Any]) -> Experiment:
    now = datetime.now(UTC)
    return Experiment.from_json(
        {
            "id": "e1",
            "name": "x",
            "trainable": "ffn",
            "status": "completed",
            "stop_reason": None,
            "created_at": now,
            "started_at": now,
            "finished_at": now,
            "cancel_requested": False,
            "driver_restarts": 0,
            "run_counts": {},
            "spec": {"primary_metric": {"name": "val_mase", "goal": "minimize"}},
            "best_run": run,
        }
    )


def test_the_baseline_is_recommended_when_no_run_beat_it_on_validation() -> None:
    final = {"baseline": "seasonal_naive_24", "baseline_val_mase": 0.842}
    experiment = _experiment(_run(0.917, final))
    advice = experiment.recommendation
    assert advice is not None and advice.use == "baseline"
    assert advice.baseline == "seasonal_naive_24" and advice.baseline_value == 0.842
    assert "no run beat seasonal_naive_24 on validation" in advice.message
    assert "residual: baseline" in advice.message  # what to try
    # It is part of the wire record the API answers with, and the SDK reads it back.
    again = Experiment.from_json(experiment.to_json())
    assert again.to_json()["recommendation"]["use"] == "baseline"


def test_the_best_run_is_recommended_when_it_beats_the_baseline() -> None:
    final = {"baseline": "naive", "baseline_val_mase": 1.2}
    advice = _experiment(_run(0.9, final)).recommendation
    assert advice is not None and advice.use == "run" and advice.run_number == 3


def test_no_recommendation_without_a_baseline() -> None:
    assert _experiment(_run(0.9, {"exit_code": 0})).recommendation is None
    assert (
        recommend(type("R", (), {"final_metrics": None, "best_metric": 1.0})(), "m", "minimize")
        is None
    )
