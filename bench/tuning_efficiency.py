"""Tuning efficiency: which method finds a good forecaster for the fewest epochs, side by side
on one task (tens of minutes; not in CI).

The task: the FFN on GEFCom2014 (hourly load, h = 24, training from ``--train-start``), the
reference tutorial's search space, primary metric val_mape, each method given the same runs
and maximum epochs per run (every run also stops on Keras' own patience). Methods, each over
``--seeds`` seeds (the sampler's seed and the training seeds):

  a. tunedrive, random sampling, no early termination
  b. tunedrive's recommended setting: Bayesian (TPE) sampling + bandit policy
  c. tunedrive, Bayesian sampling + ASHA
  d. bare Optuna: TPE + MedianPruner (the same Keras training code, pruned at its reports)
  e. bare Ray Tune: random search + ASHAScheduler

For each method the median over seeds of: the best validation MAPE after 25/50/100 % of the
epoch budget (runs x max epochs; epochs counted in the order they were trained), the epochs
used, the epochs needed to reach (a)'s final best, and the test MAPE of the best run.
Goals: (b) reaches (a)'s final best with <= 50 % of (a)'s epochs; early termination saves
>= 30 % of epochs at a best no more than 1 % worse; (b) at least as good as (d) and (e).

Usage: TUNEDRIVE_DATA_DIR=... python bench/tuning_efficiency.py [--runs 16] [--epochs 12]
       [--seeds 3] [--train-start 2014-01-01]
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")

import yaml  # noqa: E402

SPACE = yaml.safe_load((ROOT / "configs" / "ffn.yaml").read_text())["search_space"]
for _removed in ("calendar", "residual"):  # the tutorial's space, as it was
    SPACE.pop(_removed, None)
METRIC = "val_mape"


@dataclass
class Outcome:
    timeline: list[float]  # primary value of every epoch trained, in training order
    test_mape: float | None  # of the run best on validation

    def best_after(self, epochs: int) -> float:
        seen = self.timeline[:epochs]
        return min(seen) if seen else math.nan

    def epochs_to_reach(self, target: float) -> int | None:
        best = math.inf
        for used, value in enumerate(self.timeline, start=1):
            best = min(best, value)
            if best <= target:
                return used
        return None


def fixed(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "horizon": 24,
        "max_epochs": args.epochs,
        "patience": 3,
        "train_start": args.train_start,
        "calendar": False,
        "residual": "none",
    }


def tunedrive(
    args: argparse.Namespace, seed: int, sampling: str, policy: Any, home: Path
) -> Outcome:
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
            "search_space": SPACE,
            "sampling": {"method": sampling, "seed": seed},
            "primary_metric": {"name": METRIC, "goal": "minimize"},
            "early_termination": policy,
            "budget": {"max_total_runs": args.runs, "max_concurrent_runs": 2},
        }
    )
    experiment_id = store.create_experiment(spec).id
    record = run_experiment(experiment_id, settings, store)
    assert record.status == "completed", record.stop_reason
    runs = store.list_runs(experiment_id)
    rows = sorted(
        (row for run in runs for row in store.metric_rows(run.id) if row.primary_value is not None),
        key=lambda row: row.recorded_at,
    )
    best = store.best_run(experiment_id)
    store.close()
    test = (best.final_metrics or {}).get("test_mape") if best else None
    return Outcome([row.primary_value for row in rows], test)


def fit_with(params: dict[str, Any], report: Any, stop: Any, seed: int) -> dict[str, Any]:
    """The project's own Keras training, with a bare tuner's report and stop hooks."""
    from trainables.datasets import ensure_gefcom2014, read_energy_csv
    from trainables.fit import fit_forecaster
    from tuner.core.registry import RunContext
    from tuner.core.settings import Settings

    series = read_energy_csv(ensure_gefcom2014(Path(Settings().resolved_data_dir)))
    with tempfile.TemporaryDirectory() as run_dir:
        ctx = RunContext(report, Path(run_dir), primary_metric=METRIC, seed=seed)
        ctx.stop_requested = stop
        return fit_forecaster("ffn", params, series, ctx)


def bare_optuna(args: argparse.Namespace, seed: int) -> Outcome:
    import optuna

    from tuner.core.spec import parse_spec

    space = parse_spec(
        {
            "name": "space",
            "trainable": "ffn",
            "search_space": SPACE,
            "primary_metric": {"name": METRIC, "goal": "minimize"},
            "budget": {"max_total_runs": 1},
        }
    ).search_space
    timeline: list[float] = []
    tests: dict[int, float] = {}

    def objective(trial: optuna.Trial) -> float:
        params = {name: expression.suggest(trial, name) for name, expression in space.items()}
        values: list[float] = []

        def report(metrics: dict[str, Any]) -> None:
            values.append(float(metrics[METRIC]))
            timeline.append(values[-1])
            trial.report(values[-1], len(values))

        final = fit_with(
            {**_defaults(), **fixed(args), **params},
            report,
            trial.should_prune,
            seed + trial.number,
        )
        tests[trial.number] = float(final["test_mape"])
        return min(values)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=3),
    )
    study.optimize(objective, n_trials=args.runs, n_jobs=2)
    return Outcome(timeline, tests.get(study.best_trial.number))


def bare_ray(args: argparse.Namespace, seed: int, home: Path) -> Outcome:
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    home.mkdir(parents=True, exist_ok=True)

    def trainable(config: dict[str, Any]) -> None:
        def report(metrics: dict[str, Any]) -> None:
            tune.report({METRIC: float(metrics[METRIC])})

        final = fit_with({**_defaults(), **fixed(args), **config}, report, lambda: False, seed)
        # Beside its results, not as one: a last report would count as an epoch for ASHA.
        (home / f"{tune.get_context().get_trial_id()}.txt").write_text(str(final["test_mape"]))

    class Collect(tune.Callback):
        """Every reported value in the order the driver saw them, and each trial's."""

        def __init__(self) -> None:
            self.timeline: list[float] = []
            self.best: dict[str, float] = {}

        def on_trial_result(
            self, iteration: int, trials: Any, trial: Any, result: Any, **_: Any
        ) -> None:
            value = float(result[METRIC])
            self.timeline.append(value)
            self.best[trial.trial_id] = min(value, self.best.get(trial.trial_id, math.inf))

    collect = Collect()
    param_space = {name: tune.choice(spec["choice"]) for name, spec in SPACE.items()}
    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": 1}),
        param_space=param_space,
        tune_config=tune.TuneConfig(
            metric=METRIC,
            mode="min",
            num_samples=args.runs,
            max_concurrent_trials=2,
            search_alg=tune.search.BasicVariantGenerator(random_state=seed),
            scheduler=ASHAScheduler(max_t=args.epochs, grace_period=2, reduction_factor=3),
        ),
        run_config=tune.RunConfig(
            name=f"bare-{seed}", storage_path=str(home), callbacks=[collect], verbose=0
        ),
    )
    tuner.fit()
    best = min(collect.best, key=collect.best.__getitem__)
    written = home / f"{best}.txt"  # absent when ASHA stopped the best run
    return Outcome(collect.timeline, float(written.read_text()) if written.exists() else None)


def _defaults() -> dict[str, Any]:
    from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS

    return {**SHARED_HYPERPARAMETERS, **FAMILIES["ffn"][1]}


def median(values: list[float | None]) -> float:
    known = [v for v in values if v is not None and math.isfinite(v)]
    return statistics.median(known) if known else math.nan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--train-start", default="2014-01-01")
    args = parser.parse_args()
    import ray

    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.WARNING,
        log_to_driver=False,
    )
    logging.getLogger("ray.tune.analysis.experiment_analysis").setLevel(logging.ERROR)
    bandit = {
        "policy": "bandit",
        "slack_factor": 0.1,
        "evaluation_interval": 1,
        "delay_evaluation": 3,
    }
    asha = {"policy": "asha", "grace_period": 2, "reduction_factor": 3}
    methods = {
        "a. random, no early termination": lambda s, h: tunedrive(args, s, "random", None, h),
        "b. tunedrive: bayesian + bandit": lambda s, h: tunedrive(args, s, "bayesian", bandit, h),
        "c. tunedrive: bayesian + ASHA": lambda s, h: tunedrive(args, s, "bayesian", asha, h),
        "d. bare Optuna: TPE + median": lambda s, h: bare_optuna(args, s),
        "e. bare Ray Tune: random + ASHA": lambda s, h: bare_ray(args, s, h),
    }
    outcomes: dict[str, list[Outcome]] = {name: [] for name in methods}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, args.seeds + 1):
            for name, method in methods.items():
                outcomes[name].append(method(seed, Path(tmp) / f"{seed}-{name[0]}"))
                print(f"  done: seed {seed}, {name}", file=sys.stderr, flush=True)
    budget = args.runs * args.epochs
    targets = [o.best_after(budget) for o in outcomes["a. random, no early termination"]]
    print(
        f"ffn on GEFCom2014 from {args.train_start}, tutorial space, {args.runs} runs x up to "
        f"{args.epochs} epochs (budget {budget} epochs), medians over {args.seeds} seeds"
    )
    print(
        f"  {'method':34s} {'best val MAPE at 25% / 50% / 100%':>34s} {'epochs':>7s} {'to reach (a)':>12s} {'test MAPE':>9s}"
    )
    for name, runs in outcomes.items():
        at = [median([o.best_after(round(budget * f)) for o in runs]) for f in (0.25, 0.5, 1.0)]
        used = median([len(o.timeline) for o in runs])
        reach = [o.epochs_to_reach(t) for o, t in zip(runs, targets, strict=True)]
        reached = median([r for r in reach if r is not None])
        missed = sum(r is None for r in reach)
        print(
            f"  {name:34s} {at[0]:10.3f} {at[1]:10.3f} {at[2]:10.3f}   {used:7.0f} "
            f"{reached:8.0f}{f' ({missed} never)' if missed else '':>4s} {median([o.test_mape for o in runs]):9.2f}"
        )
    ray.shutdown()


if __name__ == "__main__":
    main()
