"""A fault-injection soak: PostgreSQL, two dispatchers (`tunedrive serve`, each with its API)
and a 2-node Ray cluster on loopback, running experiments of the toy trainable with policies.
For ``--minutes``, at random: ``kill -9`` of a driver, of a dispatcher (started again), of the
Ray worker node (a new one joins), and restarts of PostgreSQL. Then, from the store: every
report that returned to the trainable is stored exactly once (the trainable writes each to a
side file), run numbers run 1..n, every seed follows from its number, the budgets add up, no
run is left running and every experiment ends. Prints the faults by kind and the rows lost.
Usage: python bench/chaos.py [--minutes 10] [--experiments 20] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bench.chaos_checks import Verdict, check_experiment
from tests.api.live import ROOT, free_port, wait_until_up
from tests.postgres import postgres_control
from tests.raycluster import ray_cluster
from tuner.store import Store

POLICIES = [
    {"policy": "bandit", "slack_factor": 0.2, "delay_evaluation": 2},
    {"policy": "median_stopping", "min_runs": 2, "delay_evaluation": 2},
    {"policy": "truncation_selection", "truncation_percentage": 30, "delay_evaluation": 2},
    {"policy": "asha", "grace_period": 2, "reduction_factor": 2},
]


def experiment_spec(i: int, log_dir: Path, runs: int, epochs: int, sleep: float) -> dict[str, Any]:
    return {
        "name": f"chaos-{i}",
        "trainable": "toy_curve",
        "fixed": {"epochs": epochs, "sleep": sleep, "log_dir": str(log_dir)},
        "search_space": {"x": {"uniform": [0.05, 1.0]}},
        "sampling": {"method": "random", "seed": 100 + i},
        "primary_metric": {"name": "score", "goal": "maximize"},
        "early_termination": POLICIES[i % len(POLICIES)],
        "budget": {"max_total_runs": runs, "max_concurrent_runs": 2},
        "resources": {"cpu": 1},
        "max_failures": 3,
    }


class Dispatchers:
    """Two `tunedrive serve` processes on one PostgreSQL and one Ray cluster."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.env, self.homes = env, [root / "home-a", root / "home-b"]
        self.ports = [free_port(), free_port()]
        self.processes: list[subprocess.Popen[bytes]] = [self._start(i) for i in range(2)]
        for i, process in enumerate(self.processes):
            wait_until_up(self.url(i), process, timeout=120)

    def url(self, i: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[i]}"

    def _start(self, i: int) -> subprocess.Popen[bytes]:
        environment = {
            **os.environ,
            "TUNEDRIVE_HOME": str(self.homes[i]),
            "TUNEDRIVE_PLUGINS": "tests.tuner.toy",
            "PYTHONPATH": str(ROOT),
            "TUNEDRIVE_CANCEL_POLL_SECONDS": "0.5",
            **self.env,
        }
        with (self.homes[i].parent / f"serve-{i}.log").open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "tuner.cli", "serve", "--port", str(self.ports[i])],
                cwd=ROOT,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill_and_restart(self, rng: random.Random) -> None:
        i = rng.randrange(2)
        self.processes[i].kill()
        self.processes[i].wait()
        time.sleep(rng.uniform(1, 5))
        self.processes[i] = self._start(i)
        wait_until_up(self.url(i), self.processes[i], timeout=120)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def driver_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-f", "tuner.engine.driver"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def soak(minutes: float, experiments: int, seed: int, *, runs: int, epochs: int, sleep: float,
         fault_every: tuple[float, float], root: Path) -> tuple[Counter[str], Verdict]:  # fmt: skip
    rng = random.Random(seed)
    faults: Counter[str] = Counter()
    with ExitStack() as stack:
        database_url, postgres = stack.enter_context(postgres_control())
        storage = str(root / "shared-runs")
        node_env = {"TUNEDRIVE_DATABASE_URL": database_url, "TUNEDRIVE_STORAGE_PATH": storage}
        cluster = stack.enter_context(ray_cluster(head_cpus=2, extra_env=node_env))
        worker = cluster.add_node(cpus=2)
        cluster.wait_for_nodes(2)
        env = {
            **cluster.env,
            "TUNEDRIVE_RAY_ADDRESS": cluster.address,
            "TUNEDRIVE_MAX_CONCURRENT_EXPERIMENTS": "2",
        }
        dispatchers = Dispatchers(root, env)
        stack.callback(dispatchers.stop)
        ids, logs, seeds = [], {}, {}
        for i in range(experiments):
            log_dir = root / f"reports-{i}"
            log_dir.mkdir(parents=True, exist_ok=True)
            spec = experiment_spec(i, log_dir, runs, epochs, sleep)
            response = httpx.post(f"{dispatchers.url()}/api/experiments", json=spec, timeout=30)
            response.raise_for_status()
            ids.append(response.json()["id"])
            logs[ids[-1]], seeds[ids[-1]] = log_dir, spec["sampling"]["seed"]
        store = Store.open(database_url, migrate=False)
        end = time.monotonic() + minutes * 60
        kinds: list[str] = []
        while time.monotonic() < end:
            time.sleep(rng.uniform(*fault_every))
            if not kinds:  # every kind once per round of four, in a random order
                kinds = ["driver", "dispatcher", "ray_worker", "postgres"]
                rng.shuffle(kinds)
            kind = kinds.pop()
            if kind == "driver":
                pids = driver_pids()
                if not pids:
                    continue
                os.kill(rng.choice(pids), signal.SIGKILL)
            elif kind == "dispatcher":
                dispatchers.kill_and_restart(rng)
            elif kind == "ray_worker":
                cluster.kill(worker)
                time.sleep(rng.uniform(1, 5))
                worker = cluster.add_node(cpus=2)
            else:
                postgres.stop()
                time.sleep(rng.uniform(3, 15))
                postgres.start()
            faults[kind] += 1
            print(f"  fault {sum(faults.values())}: {kind}", flush=True)
        deadline = time.monotonic() + 15 * 60  # the faults have stopped: everything must end
        while time.monotonic() < deadline:
            try:
                open_ones = [
                    i for i in ids if store.get_experiment(i).status in ("queued", "running")
                ]
            except Exception:
                open_ones = ids
            if not open_ones:
                break
            time.sleep(2)
        verdict = Verdict()
        for experiment_id in ids:
            check_experiment(
                store, experiment_id, logs[experiment_id], seeds[experiment_id], verdict
            )
        store.close()
    return faults, verdict


def report(faults: Counter[str], verdict: Verdict) -> None:
    print("faults injected: " + ", ".join(f"{k} {v}" for k, v in sorted(faults.items())))
    print(f"experiments ended: {verdict.ended} of {verdict.experiments} "
          f"({', '.join(f'{k} {v}' for k, v in sorted(verdict.endings.items()))}); "
          f"runs: {verdict.runs}, of which never started: {verdict.never_started}")  # fmt: skip
    for reason, count in verdict.reasons.most_common():
        print(f"  {count} x {reason}")
    print(f"metric rows: {verdict.rows_acked} reported (returned to the trainable), "
          f"{verdict.rows_stored} stored; rows lost: {verdict.rows_lost} (goal: 0)")  # fmt: skip
    for problem in verdict.problems:
        print(f"  PROBLEM {problem}")
    print("ok" if verdict.ok else "FAILED")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--experiments", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="chaos-"))
    faults, verdict = soak(args.minutes, args.experiments, args.seed, runs=8, epochs=10,
                           sleep=1.0, fault_every=(10, 25), root=root)  # fmt: skip
    report(faults, verdict)
    raise SystemExit(0 if verdict.ok else 1)


if __name__ == "__main__":
    main()
