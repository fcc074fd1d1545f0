"""Parameter importance over an experiment's runs (Optuna's fANOVA), through the API too."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from tests.seeding import seed_experiment
from tuner.core.settings import Settings
from tuner.service.importance import parameter_importance
from tuner.store import Store, scored_runs


def test_the_parameter_that_drives_the_metric_comes_first(tmp_path: Path) -> None:
    """The seeded runs' best value follows the learning rate (up to 7 points) far more than
    latent_dim (under 0.4) or the noise (1)."""
    url = f"sqlite:///{tmp_path / 'importance.db'}"
    experiment_id, _ = seed_experiment(url, runs=200, epochs=12)
    store = Store.open(url)
    shares, note = parameter_importance(scored_runs(store.list_runs(experiment_id)), "minimize")
    assert list(shares) == ["learning_rate", "latent_dim"] and shares["learning_rate"] > 0.8
    assert abs(sum(shares.values()) - 1) < 1e-9 and "200 runs" in note
    with TestClient(create_app(Settings(home=tmp_path), store), base_url="http://127.0.0.1") as c:
        body = c.get(f"/api/experiments/{experiment_id}/importance").json()
        assert body["importance"] == shares
        assert c.get("/api/experiments/nope/importance").status_code == 404
    store.close()


def test_too_few_runs_say_why() -> None:
    shares, note = parameter_importance([], "minimize")
    assert shares == {} and "needs 3 runs" in note


def test_list_valued_choices_are_categories() -> None:
    from tuner.store import RunRecord

    runs = []
    for i in range(12):
        params = {"layers": [8] * (i % 3 + 1), "seed": i}  # the metric follows the layers
        runs.append(RunRecord(**{**RUN, "id": str(i), "params": params, "best_metric": i % 3}))
    shares, _ = parameter_importance(scored_runs(runs), "minimize")
    assert set(shares) == {"layers", "seed"}


RUN = {
    "experiment_id": "e", "number": 1, "trial_id": "t", "status": "completed", "params": {},
    "best_metric": None, "epochs": 1, "stopped_at_interval": None, "attempts": 1,
    "started_at": None, "finished_at": None, "error": None, "node": None, "seed": None,
    "final_metrics": None, "artifact_dir": None, "refit_of": None, "refit": None,
}  # fmt: skip
