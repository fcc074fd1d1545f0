"""What the three sampling methods draw, with no Ray in sight.

``random`` (and its ``sobol`` rule) and ``bayesian`` are Optuna samplers over a define-by-run
space, so each expression's HyperDrive meaning lives in one place
(:mod:`tuner.core.spec.expressions`). ``grid`` walks the product of the choices by index,
never materializing it: a seeded sample of indices picks which points when the budget is
smaller than the grid.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna

    from tuner.core.spec import ExperimentSpec, Expression

OBJECTIVE_KEY = "_objective"  # best-so-far primary metric, in every result a trial reports
# Beside the sampled values, every config a searcher draws carries its run's number (in the
# order drawn, after the runs of earlier stretches): Ray's ids for searched trials are random,
# and a run's seed follows from its number (DESIGN §6.4).
RUN_NUMBER_KEY = "_run_number"


def build_sampler(spec: ExperimentSpec) -> optuna.samplers.BaseSampler:
    import optuna

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


def grid_size(space: Mapping[str, Expression]) -> int:
    return math.prod(len(expression.choices) for expression in space.values())


def grid_point(
    choices: Sequence[Sequence[Any]], names: Sequence[str], index: int
) -> dict[str, Any]:
    """The ``index``-th point of the product in declaration order (the last name varies
    fastest, as :func:`itertools.product` would)."""
    point: dict[str, Any] = {}
    for name, options in zip(reversed(names), reversed(choices), strict=True):
        index, position = divmod(index, len(options))
        point[name] = options[position]
    return {name: point[name] for name in names}


def grid_indices(size: int, limit: int, seed: int | None) -> list[int]:
    """Which points a grid run visits: all in order, or ``limit`` of them; seeded, a shuffle
    (so a capped grid covers the space evenly). ``random.sample`` over a range never builds
    the range, so a grid of any size costs memory for ``limit`` indices only."""
    count = min(size, limit)
    if seed is None:
        return list(range(count))
    return random.Random(seed).sample(range(size), count)


def is_finite(space: Mapping[str, Expression]) -> bool:
    """Every expression a ``choice``: the space has grid_size configurations."""
    return all(expression.kind == "choice" for expression in space.values())


def random_indices(size: int, count: int, seed: int | None) -> list[int]:
    """Random sampling of a finite space without repeats (DESIGN §5): ``count`` indices, each
    of the ``size`` configurations once in a random order before any comes again."""
    rng = random.Random(seed)
    drawn: list[int] = []
    while len(drawn) < count:
        drawn += rng.sample(range(size), min(size, count - len(drawn)))
    return drawn


def grid_points(space: Mapping[str, Expression]) -> Iterator[dict[str, Any]]:
    """Every point of a (small) grid in declaration order."""
    names = list(space)
    choices = [list(space[n].choices) for n in names]
    return (grid_point(choices, names, i) for i in range(grid_size(space)))
