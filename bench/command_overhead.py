"""Command-trial overhead: the same training as a command trial and in-process, side by side.

One workload (numpy work reported 10 times, about 10 s a run) runs as a registered in-process
trainable and as a command trial (a Python process per run, its code from a snapshot, reports
through report()), each through the full engine on the same local Ray. Prints each run's mean
wall time (the store's start to end) and the experiment's, and their ratios.
Goal: command / in-process <= 1.2 for a 10 s run.
Usage: python bench/command_overhead.py [--runs 6] [--seconds 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORKLOAD = '''
import time
import numpy as np


def train(seconds, x, report):
    """About ``seconds`` of matrix products, reported 10 times."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((256, 256))
    for step in range(1, 11):
        until = time.perf_counter() + seconds / 10
        while time.perf_counter() < until:
            a = np.tanh(a @ a.T / 256)
        if report(score=float(x) * step + float(a[0, 0]) * 0) is False:
            return
'''
SCRIPT = """
import sys
from tuner.client import report
from workload import train
train(float(sys.argv[1]), float(sys.argv[2]), report)
"""


def in_process_fit(params: dict[str, Any], data: Any, context: Any) -> dict[str, Any]:
    sys.path.insert(0, str(params["code"]))
    from workload import train

    train(float(params["seconds"]), float(params["x"]), lambda **m: context.report(m))
    return {}


def _experiment(store: Any, settings: Any, spec: dict[str, Any]) -> tuple[float, list[float]]:
    from tuner.engine.driver import run_experiment
    from tuner.service.submission import submit_experiment

    record = submit_experiment(store, spec, settings)
    began = time.perf_counter()
    done = run_experiment(record.id, settings, store)
    wall = time.perf_counter() - began
    assert done.status == "completed", done.stop_reason
    runs = store.list_runs(record.id)
    return wall, [(r.finished_at - r.started_at).total_seconds() for r in runs]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    import ray

    from tuner.client.packing import upload_local_files
    from tuner.core.registry import TrainableDefinition, register_trainable
    from tuner.core.settings import Settings
    from tuner.service.code import save_snapshot
    from tuner.store import Store

    home = Path(tempfile.mkdtemp(prefix="bench-command-"))
    code = home / "src"
    code.mkdir()
    (code / "workload.py").write_text(WORKLOAD)
    (code / "train.py").write_text(SCRIPT)
    settings = Settings(home=home / "home")
    settings.ensure_dirs()
    store = Store.open(settings.resolved_database_url)
    register_trainable(
        TrainableDefinition(
            name="bench_in_process",
            hyperparameters={"x": 1.0, "seconds": args.seconds, "code": str(code)},
            metrics=("score",),
            fit=in_process_fit,
        )
    )
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    common = {
        "search_space": {"x": {"uniform": [0.1, 1.0]}},
        "primary_metric": {"name": "score", "goal": "maximize"},
        "budget": {"max_total_runs": args.runs, "max_concurrent_runs": 1},
        "sampling": {"method": "random", "seed": 1},
    }
    in_process = {"name": "in-process", "trainable": "bench_in_process", **common}
    command = {
        "name": "command",
        "trial": {
            "command": f"python train.py {args.seconds} ${{{{search_space.x}}}}",
            "code": str(code),
            "environment_variables": {"OMP_NUM_THREADS": "1"},
        },
        **common,
    }
    command = upload_local_files(command, home, lambda b: save_snapshot(settings, b).id)
    results = {}
    for name, spec in (("in-process", in_process), ("command", command)):
        results[name] = _experiment(store, settings, spec)
        wall, runs = results[name]
        print(
            f"{name:>10}: {wall:7.1f} s for {len(runs)} runs; per run {statistics.mean(runs):.2f} s"
        )
    (in_wall, in_runs), (cmd_wall, cmd_runs) = results["in-process"], results["command"]
    per_run = statistics.mean(cmd_runs) / statistics.mean(in_runs)
    print(f"per-run ratio command / in-process: {per_run:.3f} (goal <= 1.2)")
    print(f"experiment ratio command / in-process: {cmd_wall / in_wall:.3f}")
    ray.shutdown()


if __name__ == "__main__":
    main()
