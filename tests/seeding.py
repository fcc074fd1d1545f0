"""A large stored experiment written straight into the store (bulk inserts), for the API load
benchmark and the dashboard's 10,000-run test."""

from __future__ import annotations

import random
from datetime import timedelta

from tuner.core.spec import parse_spec
from tuner.store import Store, utcnow
from tuner.store.models import MetricRow, RunRow

SPEC = {
    "name": "load-test",
    "trainable": "ffn",
    "search_space": {
        "latent_dim": {"choice": [5, 10, 15]},
        "learning_rate": {"loguniform": [-9.2, -4.6]},
    },
    "primary_metric": {"name": "val_mape", "goal": "minimize"},
    "budget": {"max_total_runs": 10_000, "max_concurrent_runs": 8},
}


def seed_experiment(url: str, runs: int, epochs: int) -> tuple[str, str]:
    """An experiment with ``runs`` finished runs of ``epochs`` metric rows each; returns its id
    and the id of a run in the middle."""
    store = Store.open(url)
    experiment = store.create_experiment(parse_spec(SPEC))
    rng = random.Random(1)
    now = utcnow()
    run_rows, metric_rows = [], []
    for number in range(1, runs + 1):
        run_id = f"{experiment.id[:16]}{number:016x}"  # several experiments in one database
        latent, rate = rng.choice([5, 10, 15]), 10 ** rng.uniform(-4, -2)
        floor = 4 + abs(rate - 1e-3) * 800 + 2 / latent + rng.random()
        stopped = rng.random() < 0.4
        length = rng.randint(5, epochs // 2) if stopped else epochs
        curve = [floor + 20 * (0.9**epoch) for epoch in range(length)]
        run_rows.append(
            {
                "id": run_id,
                "experiment_id": experiment.id,
                "number": number,
                "trial_id": f"t{number}",
                "status": "early_terminated" if stopped else "completed",
                "params": {"latent_dim": latent, "learning_rate": rate},
                "best_metric": min(curve),
                "epochs": length,
                "stopped_at_interval": length if stopped else None,
                "attempts": 1,
                "started_at": now + timedelta(seconds=number),
                "finished_at": now + timedelta(seconds=number + 60),
            }
        )
        metric_rows += [
            {
                "run_id": run_id,
                "attempt": 1,
                "step": step + 1,
                "primary_value": value,
                "values": {"loss": value / 100, "val_loss": value / 90, "val_mape": value},
                "recorded_at": now,
            }
            for step, value in enumerate(curve)
        ]
    with store.engine.begin() as connection:
        connection.execute(RunRow.__table__.insert(), run_rows)
        for start in range(0, len(metric_rows), 50_000):
            connection.execute(MetricRow.__table__.insert(), metric_rows[start : start + 50_000])
    store.recount_runs(experiment.id)  # rows went around the store's kept counts
    store.finish_experiment(experiment.id, "completed", "max_total_runs reached")
    store.close()
    return experiment.id, run_rows[runs // 2]["id"]
