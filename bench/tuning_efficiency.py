"""Tuning efficiency: which method finds a good forecaster for the fewest epochs, side by side
on one task (tens of minutes; not in CI).

The task: the FFN on GEFCom2014 (hourly load, h = 24, training from ``--train-start``), the
reference tutorial's search space, primary metric val_mape, up to ``--epochs`` per run (every
run also stops on Keras' own patience). Every method gets the same budget of epochs,
``--runs`` x ``--epochs``, and keeps starting runs until it has trained that many: epochs an
early-termination policy saves buy more configurations. Methods, each over ``--seeds`` seeds
(the sampler's seed and the training seeds):

  a. tunedrive, random sampling, no early termination
  b. tunedrive's recommended setting: Bayesian (TPE) sampling + ASHA
  c. tunedrive, random sampling + ASHA (what e runs, through tunedrive)
  d. bare Optuna: TPE + MedianPruner (the same Keras training code, pruned at its reports)
  e. bare Ray Tune: random search + ASHAScheduler
  f. with ``--bandit``: tunedrive, Bayesian sampling + the bandit policy (HyperDrive's)

For each method the median over seeds of: the best validation MAPE after 25/50/100 % of the
epoch budget (epochs counted in the order they were trained; epochs past the budget, trained
by runs still going when it ran out, are not counted), the runs started, the epochs needed to
reach (a)'s final best and to come within 1 % of it, and the test MAPE of the run best on
validation within the budget.
Goals: (b) reaches (a)'s final best with <= 50 % of (a)'s epochs; early termination saves
>= 30 % of epochs at a best no more than 1 % worse; (b) at least as good as (d) and (e).

Usage: TUNEDRIVE_DATA_DIR=... python bench/tuning_efficiency.py [--runs 16] [--epochs 12]
       [--seeds 5] [--train-start 2014-01-01] [--bandit]
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")

from efficiency_task import (
    METRIC,
    Outcome,
    bare_optuna,
    bare_ray,
    fixed,
    tutorial_space,
)

RANDOM, RECOMMENDED, ASHA, BANDIT = (
    "a. random, no early termination",
    "b. tunedrive: bayesian + ASHA",
    "c. tunedrive: random + ASHA",
    "f. tunedrive: bayesian + bandit",
)
OPTUNA, RAY = "d. bare Optuna: TPE + median", "e. bare Ray Tune: random + ASHA"


def tunedrive(
    args: argparse.Namespace, seed: int, sampling: str, policy: Any, home: Path
) -> Outcome:
    """Stretches of one experiment, each extended (DESIGN §5) by the runs the epochs left
    should buy at the epochs per run seen so far, until the budget is trained."""
    from tuner.core.settings import Settings
    from tuner.core.spec import parse_spec
    from tuner.engine.driver import run_experiment
    from tuner.store import Store

    settings = Settings(home=home)
    store = Store.open(settings.resolved_database_url)
    spec = parse_spec(
        {
            "name": f"efficiency-{sampling}-{seed}",
            "trainable": "ffn",
            "fixed": fixed(args),
            "search_space": tutorial_space(),
            "sampling": {"method": sampling, "seed": seed},
            "primary_metric": {"name": METRIC, "goal": "minimize"},
            "early_termination": policy,
            "budget": {"max_total_runs": args.runs, "max_concurrent_runs": 2},
        }
    )
    experiment_id = store.create_experiment(spec).id
    budget = args.runs * args.epochs
    while True:
        record = run_experiment(experiment_id, settings, store)
        assert record.status == "completed", record.stop_reason
        runs = store.list_runs(experiment_id)
        rows = sorted(
            (
                (run.trial_id, row)
                for run in runs
                for row in store.metric_rows(run.id)
                if row.primary_value is not None
            ),
            key=lambda seen: seen[1].recorded_at,
        )
        if len(rows) >= budget:
            break
        more = math.ceil((budget - len(rows)) * len(runs) / max(len(rows), 1))
        store.extend_experiment(experiment_id, max_total_runs=len(runs) + max(more, 2))
    store.close()
    tests = {
        run.trial_id: run.final_metrics["test_mape"]
        for run in runs
        if run.final_metrics and "test_mape" in run.final_metrics
    }
    return Outcome([(trial, row.primary_value) for trial, row in rows], tests)


def median(values: list[float | None]) -> float:
    """Of the known values; a never-reached (infinite) one counts, as the largest."""
    known = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(known) if known else math.nan


def _epochs(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:.0f}"


def _share(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:.0%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--train-start", default="2014-01-01")
    parser.add_argument("--bandit", action="store_true", help="also f: bayesian + bandit")
    args = parser.parse_args()
    import ray

    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.WARNING,
        log_to_driver=False,
        # Bare Ray Tune's workers import the task from this folder.
        runtime_env={"env_vars": {"PYTHONPATH": str(Path(__file__).parent)}},
    )
    logging.getLogger("ray.tune.analysis.experiment_analysis").setLevel(logging.ERROR)
    bandit = {
        "policy": "bandit",
        "slack_factor": 0.1,
        "evaluation_interval": 1,
        "delay_evaluation": 3,
    }
    asha = {"policy": "asha"}  # the grace period from the run budget (2 for 16 runs of 12)
    methods = {
        RANDOM: lambda s, h: tunedrive(args, s, "random", None, h),
        RECOMMENDED: lambda s, h: tunedrive(args, s, "bayesian", asha, h),
        ASHA: lambda s, h: tunedrive(args, s, "random", asha, h),
        OPTUNA: lambda s, h: bare_optuna(args, s),
        RAY: lambda s, h: bare_ray(args, s, h),
    }
    if args.bandit:
        methods[BANDIT] = lambda s, h: tunedrive(args, s, "bayesian", bandit, h)
    outcomes: dict[str, list[Outcome]] = {name: [] for name in methods}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, args.seeds + 1):
            for name, method in methods.items():
                outcomes[name].append(method(seed, Path(tmp) / f"{seed}-{name[0]}"))
                print(f"  done: seed {seed}, {name}", file=sys.stderr, flush=True)
    budget = args.runs * args.epochs
    targets = [o.best_after(budget) for o in outcomes[RANDOM]]
    print(
        f"ffn on GEFCom2014 from {args.train_start}, tutorial space, up to {args.epochs} epochs "
        f"a run, a budget of {budget} epochs per method, medians over {args.seeds} seeds"
    )
    header = "best val MAPE at 25% / 50% / 100%"
    print(f"  {'method':32s} {header:>34s}  runs  to reach (a)  within 1%  test MAPE")
    reach: dict[str, dict[float, float]] = {}
    for name, runs in outcomes.items():
        at = [median([o.best_after(round(budget * f)) for o in runs]) for f in (0.25, 0.5, 1.0)]
        reach[name] = {
            slack: median(
                [o.epochs_to_reach(t * slack, budget) for o, t in zip(runs, targets, strict=True)]
            )
            for slack in (1.0, 1.01)
        }
        print(
            f"  {name:32s} {at[0]:10.3f} {at[1]:11.3f} {at[2]:11.3f}"
            f"  {median([o.runs_within(budget) for o in runs]):4.0f}"
            f"  {_epochs(reach[name][1.0]):>12s}  {_epochs(reach[name][1.01]):>9s}"
            f"  {median([o.test_mape_within(budget) for o in runs]):9.2f}"
        )
    best = {name: median([o.best_after(budget) for o in runs]) for name, runs in outcomes.items()}
    print("goals (epochs as a share of the budget, which (a) spends in full):")
    share = reach[RECOMMENDED][1.0] / budget
    print(f"  (b) reaches (a)'s final best with {_share(share)} of its epochs (goal <= 50%)")
    for name in [RECOMMENDED, ASHA, *([BANDIT] if args.bandit else [])]:
        share = reach[name][1.01] / budget
        print(f"  ({name[0]}) comes within 1% of (a)'s best with {_share(share)} (goal <= 70%)")
    for name in (OPTUNA, RAY):
        ratio = best[RECOMMENDED] / best[name]
        print(f"  (b)'s best / ({name[0]})'s best at equal budget: {ratio:.3f} (goal <= 0.95)")
    ray.shutdown()


if __name__ == "__main__":
    main()
