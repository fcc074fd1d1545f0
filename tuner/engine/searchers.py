"""The sampling methods behind Ray Tune's Searcher API, all seeded."""

from __future__ import annotations

import pickle
from typing import Any

from ray.tune.search import Searcher
from ray.tune.search.optuna import OptunaSearch

from tuner.core.sampling import (
    OBJECTIVE_KEY,
    DefineByRun,
    build_sampler,
    grid_indices,
    grid_point,
    grid_size,
    is_finite,
    random_indices,
)
from tuner.core.spec import ExperimentSpec


def build_searcher(spec: ExperimentSpec) -> Searcher:
    import optuna

    mode = "max" if spec.primary_metric.goal == "maximize" else "min"
    if spec.sampling.method == "grid":
        return GridSearcher(spec, metric=OBJECTIVE_KEY, mode=mode)
    if spec.sampling.method == "random" and is_finite(spec.search_space):
        # Optuna's random sampler draws with replacement: in a small space it repeated
        # configurations while others were never tried. Each once, in random order, instead.
        size = grid_size(spec.search_space)
        indices = random_indices(size, spec.planned_runs, spec.sampling.seed)
        return GridSearcher(spec, metric=OBJECTIVE_KEY, mode=mode, indices=indices)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return OptunaSearch(
        space=DefineByRun(spec.search_space),
        metric=OBJECTIVE_KEY,
        mode=mode,
        sampler=build_sampler(spec),
    )


class GridSearcher(Searcher):
    """Points of the product of the choices by index, decoded as they are asked for: for a
    grid every combination once, in declaration order (shuffled when seeded), at most
    ``planned_runs``; or the given ``indices`` (random sampling of a finite space)."""

    def __init__(
        self, spec: ExperimentSpec, *, metric: str, mode: str, indices: list[int] | None = None
    ) -> None:
        super().__init__(metric=metric, mode=mode)
        self._names = list(spec.search_space)
        self._choices = [list(spec.search_space[n].choices) for n in self._names]
        size = grid_size(spec.search_space)
        self._indices = (
            indices
            if indices is not None
            else grid_indices(size, spec.planned_runs, spec.sampling.seed)
        )
        self._next = 0

    def suggest(self, trial_id: str) -> dict[str, Any] | str | None:
        if self._next >= len(self._indices):
            return Searcher.FINISHED
        self._next += 1
        return grid_point(self._choices, self._names, self._indices[self._next - 1])

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
            pickle.dump((self._indices, self._next), handle)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as handle:
            self._indices, self._next = pickle.load(handle)
