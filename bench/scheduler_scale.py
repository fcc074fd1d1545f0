"""Early-termination decisions at scale: the real scheduler adapter (PolicyScheduler) with each
policy, after 100 / 1,000 / 10,000 / 100,000 runs of 10 or 100 epochs.

The stored histories are loaded once, as a restarted driver loads them; then 2,000 reports of
fresh runs go through ``on_trial_result`` one by one and are timed. It prints decisions per
second, the mean and p99 per-report latency, the stored values a decision read, and each
latency as a ratio of the smallest population's. Goal: flat within 2x.
Usage: python bench/scheduler_scale.py [--runs 100,1000,10000,100000] [--epochs 10,100]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tuner.core.policies import (
    AshaPolicy,
    BanditPolicy,
    EarlyTerminationPolicy,
    MedianStoppingPolicy,
    TruncationSelectionPolicy,
)
from tuner.engine.scheduler import STEP_KEY, PolicyScheduler

METRIC = "val_loss"


def policies(epochs: int) -> dict[str, EarlyTerminationPolicy]:
    return {
        "bandit": BanditPolicy("minimize", slack_factor=0.1, delay_evaluation=2),
        "median_stopping": MedianStoppingPolicy("minimize", delay_evaluation=2),
        "truncation_selection": TruncationSelectionPolicy(
            "minimize", truncation_percentage=20, exclude_finished_runs=True
        ),
        "asha": AshaPolicy("minimize", grace_period=1, reduction_factor=3, max_t=epochs),
    }


def curve(rng: random.Random, epochs: int) -> list[float]:
    level, rate = rng.uniform(0.5, 2.0), rng.uniform(0.02, 0.3)
    return [level * (1 - rate) ** e + rng.gauss(0, 0.01) for e in range(epochs)]


def measure(policy: EarlyTerminationPolicy, runs: int, epochs: int) -> dict[str, float]:
    rng = random.Random(7)
    stored = {f"old{i}": curve(rng, epochs) for i in range(runs)}
    finished = set(stored)

    scheduler = PolicyScheduler(policy, METRIC, history_source=lambda: (stored, finished))
    started = time.perf_counter()
    scheduler._ensure_loaded()  # a driver's start: once
    load_seconds = time.perf_counter() - started
    scheduler.histories.touched = 0
    latencies, decisions, stops = [], 0, 0
    fresh = [curve(rng, epochs) for _ in range(2000 // epochs + 1)]
    for n, values in enumerate(fresh):
        trial = SimpleNamespace(trial_id=f"new{n}", status="RUNNING")
        for step, value in enumerate(values, start=1):
            result = {METRIC: value, STEP_KEY: step}
            t0 = time.perf_counter()
            verdict = scheduler.on_trial_result(None, trial, result)
            latencies.append(time.perf_counter() - t0)
            decisions += policy.is_evaluation_point(step)
            if verdict == "STOP":
                stops += 1
                break
        scheduler.on_trial_complete(None, trial, {})
        if len(latencies) >= 2000:
            break
    total = sum(latencies)
    return {
        "load_s": load_seconds,
        "reports": len(latencies),
        "decisions_per_s": decisions / total if total else float("inf"),
        "mean_us": statistics.fmean(latencies) * 1e6,
        "p99_us": sorted(latencies)[int(0.99 * (len(latencies) - 1))] * 1e6,
        "read_per_decision": scheduler.histories.touched / max(decisions, 1),
        "stops": stops,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", default="100,1000,10000,100000")
    parser.add_argument("--epochs", default="10,100")
    args = parser.parse_args()
    sizes = [int(n) for n in args.runs.split(",")]
    lengths = [int(n) for n in args.epochs.split(",")]
    print(
        "policy                 epochs     runs  load s  reports  decisions/s  mean us   p99 us  values read/decision  mean vs smallest"
    )
    worst: dict[str, float] = {}
    for epochs in lengths:
        for name in policies(epochs):
            base: Any = None
            for runs in sizes:
                row = measure(policies(epochs)[name], runs, epochs)
                base = base or row["mean_us"]
                ratio = row["mean_us"] / base
                worst[name] = max(worst.get(name, 0.0), ratio)
                print(
                    f"{name:<22} {epochs:>6} {runs:>8} {row['load_s']:>7.2f} {row['reports']:>8}"
                    f" {row['decisions_per_s']:>12,.0f} {row['mean_us']:>8.1f} {row['p99_us']:>8.1f}"
                    f" {row['read_per_decision']:>21.2f} {ratio:>17.2f}"
                )
    print("goal: per-report latency flat within 2x from the smallest to the largest population")
    for name, ratio in worst.items():
        print(f"  {name:<22} worst ratio {ratio:.2f}  {'ok' if ratio <= 2 else 'OVER'}")


if __name__ == "__main__":
    main()
