"""The task every method in ``tuning_efficiency.py`` tunes, how one method's outcome is read,
and the two bare tuners it is compared with: the project's own Keras training, driven by Optuna
or by Ray Tune instead of tunedrive."""

from __future__ import annotations

import argparse
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
METRIC = "val_mape"


def tutorial_space() -> dict[str, Any]:
    """The reference tutorial's FFN space, as it was (before calendar and residual inputs)."""
    import yaml

    space = yaml.safe_load((ROOT / "configs" / "ffn.yaml").read_text())["search_space"]
    return {name: spec for name, spec in space.items() if name not in ("calendar", "residual")}


@dataclass
class Outcome:
    timeline: list[tuple[str, float]]  # (run, primary value) of every epoch, in training order
    test_mapes: dict[str, float]  # by run, for the runs that computed one

    def best_after(self, epochs: int) -> float:
        seen = [value for _, value in self.timeline[:epochs]]
        return min(seen) if seen else math.nan

    def runs_within(self, epochs: int) -> int:
        return len({run for run, _ in self.timeline[:epochs]})

    def test_mape_within(self, epochs: int) -> float | None:
        """Of the run best on validation within the budget (None if it never computed one:
        a bare Ray Tune run that ASHA, or the end of the budget, stopped)."""
        if not self.timeline:
            return None
        run, _ = min(self.timeline[:epochs], key=lambda seen: seen[1])
        return self.test_mapes.get(run)

    def epochs_to_reach(self, target: float, budget: int) -> float:
        """Epochs trained until the best reached ``target``; infinite if it never did."""
        for used, (_, value) in enumerate(self.timeline[:budget], start=1):
            if value <= target:
                return used
        return math.inf


def fixed(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "horizon": 24,
        "max_epochs": args.epochs,
        "patience": 3,
        "train_start": args.train_start,
        "calendar": False,
        "residual": "none",
    }


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
            "search_space": tutorial_space(),
            "primary_metric": {"name": METRIC, "goal": "minimize"},
            "budget": {"max_total_runs": 1},
        }
    ).search_space
    timeline: list[tuple[str, float]] = []
    tests: dict[str, float] = {}
    budget = args.runs * args.epochs

    def objective(trial: optuna.Trial) -> float:
        params = {name: expression.suggest(trial, name) for name, expression in space.items()}
        values: list[float] = []

        def report(metrics: dict[str, Any]) -> None:
            values.append(float(metrics[METRIC]))
            timeline.append((str(trial.number), values[-1]))
            trial.report(values[-1], len(values))

        final = fit_with(
            {**_defaults(), **fixed(args), **params},
            report,
            trial.should_prune,
            seed + trial.number,
        )
        tests[str(trial.number)] = float(final["test_mape"])
        return min(values)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=3),
    )

    def out_of_budget(study: optuna.Study, _: optuna.trial.FrozenTrial) -> None:
        if len(timeline) >= budget:
            study.stop()  # the trial still training finishes

    study.optimize(objective, n_trials=budget, n_jobs=2, callbacks=[out_of_budget])
    return Outcome(timeline, tests)


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
        """Every reported value in the order the driver saw them."""

        def __init__(self) -> None:
            self.timeline: list[tuple[str, float]] = []

        def on_trial_result(
            self, iteration: int, trials: Any, trial: Any, result: Any, **_: Any
        ) -> None:
            self.timeline.append((trial.trial_id, float(result[METRIC])))

    class OutOfBudget(tune.Stopper):
        def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
            return False

        def stop_all(self) -> bool:
            return len(collect.timeline) >= budget

    collect, budget = Collect(), args.runs * args.epochs
    param_space = {name: tune.choice(spec["choice"]) for name, spec in tutorial_space().items()}
    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": 1}),
        param_space=param_space,
        tune_config=tune.TuneConfig(
            metric=METRIC,
            mode="min",
            num_samples=budget,  # until the budget is trained
            max_concurrent_trials=2,
            search_alg=tune.search.BasicVariantGenerator(random_state=seed),
            # max_t past the last epoch: ASHA ends a run that reaches max_t inside its report,
            # before its test metrics; the rungs (2, 6 for 12 epochs) are the same.
            scheduler=ASHAScheduler(max_t=args.epochs + 1, grace_period=2, reduction_factor=3),
        ),
        run_config=tune.RunConfig(
            name=f"bare-{seed}",
            storage_path=str(home),
            callbacks=[collect],
            stop=OutOfBudget(),
            verbose=0,
        ),
    )
    tuner.fit()
    tests = {path.stem: float(path.read_text()) for path in home.glob("*.txt")}
    return Outcome(collect.timeline, tests)


def _defaults() -> dict[str, Any]:
    from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS

    return {**SHARED_HYPERPARAMETERS, **FAMILIES["ffn"][1]}
