"""Engine overhead: the full engine (driver + store) against bare Ray Tune, side by side.

60 runs of a trainable that sleeps 1 s per epoch for 5 epochs, 2 at a time. The theoretical
minimum is 60 × 5 s / 2 = 150 s. Goal: engine / bare <= 1.10 and engine / minimum <= 1.25.
Usage: python bench/overhead.py [--runs 60] [--epochs 5] [--sleep 1.0]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")

from tuner.core.registry import RunContext, TrainableDefinition, register_trainable


def sleepy_fit(params: dict[str, Any], data: Any, ctx: RunContext) -> dict[str, Any]:
    for epoch in range(1, int(params["epochs"]) + 1):
        time.sleep(float(params["sleep"]))
        ctx.report({"score": float(params["x"]) * epoch})
    return {}


def bare_trainable(config: dict[str, Any]) -> None:
    from ray import tune

    for epoch in range(1, int(config["epochs"]) + 1):
        time.sleep(float(config["sleep"]))
        tune.report({"score": float(config["x"]) * epoch})


def run_engine(runs: int, epochs: int, sleep: float, home: Path) -> float:
    from tuner.core.settings import Settings
    from tuner.core.spec import parse_spec
    from tuner.engine.driver import run_experiment
    from tuner.store import Store

    settings = Settings(home=home)
    store = Store.open(settings.resolved_database_url)
    spec = parse_spec(
        {
            "name": "overhead",
            "trainable": "bench_sleep",
            "fixed": {"epochs": epochs, "sleep": sleep},
            "search_space": {"x": {"uniform": [0.0, 1.0]}},
            "sampling": {"method": "random", "seed": 1},
            "primary_metric": {"name": "score", "goal": "maximize"},
            "budget": {"max_total_runs": runs, "max_concurrent_runs": 2},
        }
    )
    experiment_id = store.create_experiment(spec).id
    start = time.perf_counter()
    record = run_experiment(experiment_id, settings, store)
    elapsed = time.perf_counter() - start
    rows = store.count_metric_rows(experiment_id)
    assert record.status == "completed", record.stop_reason
    assert rows == runs * epochs, f"stored {rows} metric rows, expected {runs * epochs}"
    return elapsed


def run_bare(runs: int, epochs: int, sleep: float, home: Path) -> float:
    from ray import tune

    tuner = tune.Tuner(
        tune.with_resources(bare_trainable, {"cpu": 1}),
        param_space={"x": tune.uniform(0.0, 1.0), "epochs": epochs, "sleep": sleep},
        tune_config=tune.TuneConfig(num_samples=runs, max_concurrent_trials=2, reuse_actors=True),
        run_config=tune.RunConfig(name="bare", storage_path=str(home / "bare"), verbose=0),
    )
    start = time.perf_counter()
    results = tuner.fit()
    elapsed = time.perf_counter() - start
    assert len(results) == runs and not results.errors
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--sleep", type=float, default=1.0)
    args = parser.parse_args()

    import ray

    register_trainable(
        TrainableDefinition(
            name="bench_sleep",
            hyperparameters={"x": 0.5, "epochs": 5, "sleep": 1.0},
            metrics=("score",),
            fit=sleepy_fit,
        ),
        replace=True,
    )
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.WARNING,
        log_to_driver=False,
    )
    logging.getLogger("ray.tune.analysis.experiment_analysis").setLevel(logging.ERROR)
    minimum = args.runs * args.epochs * args.sleep / 2
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        print(
            f"{args.runs} runs x {args.epochs} epochs x {args.sleep:g} s, 2 at a time; minimum {minimum:.1f} s"
        )
        # Alternate the order of a warm-up pair so neither side pays Ray's first-start costs alone.
        run_bare(4, 1, 0.1, home)
        run_engine(4, 1, 0.1, home / "warm")
        bare = run_bare(args.runs, args.epochs, args.sleep, home)
        engine = run_engine(args.runs, args.epochs, args.sleep, home / "engine")
    print(f"bare Ray Tune (reuse_actors, no loggers): {bare:7.1f} s")
    print(f"tunedrive engine (driver + SQLite store):  {engine:7.1f} s")
    print(f"theoretical minimum:                       {minimum:7.1f} s")
    print(f"engine / bare    = {engine / bare:.3f}   (goal <= 1.10)")
    print(f"engine / minimum = {engine / minimum:.3f}   (goal <= 1.25)")
    print(f"bare / minimum   = {bare / minimum:.3f}")
    ray.shutdown()


if __name__ == "__main__":
    main()
