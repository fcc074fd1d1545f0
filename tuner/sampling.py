"""Searchers for the three sampling methods, all seeded, all behind Ray Tune's Searcher API.

``random`` and ``bayesian`` (and random's ``sobol`` rule) are Optuna samplers driven through Ray
Tune's OptunaSearch with a define-by-run space, so each expression's HyperDrive meaning lives in
one place (:mod:`tuner.spec.expressions`). ``grid`` enumerates the product of the choices.
"""

from __future__ import annotations

import itertools
import pickle
import random
import warnings
from collections.abc import Mapping
from typing import Any

import optuna
from ray.tune.search import Searcher
from ray.tune.search.optuna import OptunaSearch

from tuner.spec import ExperimentSpec, Expression

OBJECTIVE_KEY = "_objective"  # best-so-far primary metric, in every result a trial reports


def build_searcher(spec: ExperimentSpec) -> Searcher:
    mode = "max" if spec.primary_metric.goal == "maximize" else "min"
    if spec.sampling.method == "grid":
        return GridSearcher(
            spec.search_space,
            limit=spec.planned_runs,
            seed=spec.sampling.seed,
            metric=OBJECTIVE_KEY,
            mode=mode,
        )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return OptunaSearch(
        space=DefineByRun(spec.search_space),
        metric=OBJECTIVE_KEY,
        mode=mode,
        sampler=build_sampler(spec),
    )


def build_sampler(spec: ExperimentSpec) -> optuna.samplers.BaseSampler:
    seed = spec.sampling.seed
    if spec.sampling.method == "bayesian":
        # A quarter of the budget (at most Optuna's 10) explores before TPE takes over.
        startup = max(1, min(10, spec.budget.max_total_runs // 4))
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, constant_liar=True)
    if spec.sampling.rule == "sobol":
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.QMCSampler(
            qmc_type="sobol",
            scramble=True,
            seed=seed,
            independent_sampler=optuna.samplers.RandomSampler(seed=seed),
            warn_independent_sampling=False,
            warn_asynchronous_seeding=False,
        )
    return optuna.samplers.RandomSampler(seed=seed)


class DefineByRun:
    """An Optuna define-by-run space whose returned values override the latent draws.

    A class, not a closure, so Ray Tune can pickle the searcher into its experiment checkpoint.
    """

    def __init__(self, space: Mapping[str, Expression]) -> None:
        self.space = dict(space)

    def __call__(self, trial: optuna.Trial) -> dict[str, Any]:
        return {name: expression.suggest(trial, name) for name, expression in self.space.items()}


def grid_points(space: Mapping[str, Expression]) -> list[dict[str, Any]]:
    names = list(space)
    return [
        dict(zip(names, combo, strict=True))
        for combo in itertools.product(*(space[n].choices for n in names))
    ]


class GridSearcher(Searcher):
    """Every combination of the choices once, in declaration order (shuffled when seeded)."""

    def __init__(
        self,
        space: Mapping[str, Expression],
        *,
        limit: int,
        seed: int | None,
        metric: str,
        mode: str,
    ) -> None:
        super().__init__(metric=metric, mode=mode)
        self._points = grid_points(space)
        if seed is not None:
            random.Random(seed).shuffle(self._points)  # a capped grid then covers the space evenly
        self._points = self._points[:limit]
        self._next = 0

    def suggest(self, trial_id: str) -> dict[str, Any] | str | None:
        if self._next >= len(self._points):
            return Searcher.FINISHED
        self._next += 1
        return dict(self._points[self._next - 1])

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        pass

    def set_search_properties(
        self, metric: str | None, mode: str | None, config: dict[str, Any], **spec: Any
    ) -> bool:
        return True

    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as handle:
            pickle.dump((self._points, self._next), handle)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as handle:
            self._points, self._next = pickle.load(handle)
