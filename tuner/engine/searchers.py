"""The sampling methods behind Ray Tune's Searcher API, all seeded."""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ray.tune.search import Searcher
from ray.tune.search.optuna import OptunaSearch

from tuner.core.sampling import (
    OBJECTIVE_KEY,
    RUN_NUMBER_KEY,
    DefineByRun,
    build_sampler,
    grid_indices,
    grid_point,
    grid_size,
    is_finite,
    random_indices,
)
from tuner.core.spec import ExperimentSpec

Finished = tuple[dict[str, Any], float]  # a finished run's configuration and best value


def build_searcher(
    spec: ExperimentSpec,
    history: Sequence[Finished] = (),
    own_runs: int = 0,
    run_offset: int = 0,
) -> Searcher:
    """``history``: finished runs the sampler learns from before it draws (this experiment's,
    when it is extended, and those of the experiments it warm-starts from); ``own_runs``: how
    many of them are this experiment's own, which a finite space never repeats (DESIGN §5);
    ``run_offset``: the runs of the experiment's earlier stretches, which its numbers follow."""
    import optuna

    mode = "max" if spec.primary_metric.goal == "maximize" else "min"
    done = [params for params, _ in history[:own_runs]]
    if spec.sampling.method == "grid":
        return GridSearcher(spec, metric=OBJECTIVE_KEY, mode=mode, done=done, run_offset=run_offset)
    if spec.sampling.method == "random" and is_finite(spec.search_space):
        # Optuna's random sampler draws with replacement: in a small space it repeated
        # configurations while others were never tried. Each once, in random order, instead.
        size = grid_size(spec.search_space)
        indices = random_indices(size, spec.planned_runs, spec.sampling.seed)
        return GridSearcher(
            spec, metric=OBJECTIVE_KEY, mode=mode, indices=indices, done=done, run_offset=run_offset
        )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return SeededOptunaSearch(
        space=DefineByRun(spec.search_space),
        metric=OBJECTIVE_KEY,
        mode=mode,
        sampler=build_sampler(spec),
        history=[told for told in (as_optuna_trial(spec, *run) for run in history) if told],
        finished=history[:own_runs],
        run_offset=run_offset,
    )


def as_optuna_trial(spec: ExperimentSpec, params: dict[str, Any], value: float) -> Any | None:
    """A finished run as a complete Optuna trial of this space, or None when a parameter is
    missing or outside it (that run is skipped)."""
    import optuna

    latent, distributions = {}, {}
    for name, expression in spec.search_space.items():
        try:
            latent[name] = expression.latent(params.get(name))
        except ValueError:
            return None
        distributions[name] = expression.distribution()
    return optuna.trial.create_trial(params=latent, distributions=distributions, value=value)


class SeededOptunaSearch(OptunaSearch):
    """Ray Tune's Optuna searcher whose study starts with finished trials (extend and warm
    start); the sampler's trial count continues from them. Ray's own ``evaluated_rewards``
    refuses a define-by-run space, hence the study is seeded here.

    It never starts a configuration that already finished in this experiment (DESIGN §5): TPE
    in a space of ``choice``s does propose one again; the study is then told that run's known
    value and asked again (up to ``MAX_REDRAWS`` times, after which the space is as good as
    exhausted and the repeat is let through)."""

    MAX_REDRAWS = 50

    def __init__(
        self,
        *args: Any,
        history: Sequence[Any] = (),
        finished: Sequence[Finished] = (),
        run_offset: int = 0,
        **kwargs: Any,
    ) -> None:
        self._history = list(history)
        self._numbered = run_offset
        self._finished = {_key(params): value for params, value in finished}
        self._drawn: dict[str, dict[str, Any]] = {}
        super().__init__(*args, **kwargs)

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        config = super().suggest(trial_id)
        for _ in range(self.MAX_REDRAWS):
            if not isinstance(config, dict) or _key(config) not in self._finished:
                break
            self._ot_study.tell(self._ot_trials.pop(trial_id), self._finished[_key(config)])
            config = super().suggest(trial_id)
        if not isinstance(config, dict):
            return config
        self._drawn[trial_id] = config
        self._numbered += 1
        return {**config, RUN_NUMBER_KEY: self._numbered}

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        super().on_trial_complete(trial_id, result, error)
        config, value = self._drawn.pop(trial_id, None), (result or {}).get(self.metric)
        if config is not None and not error and isinstance(value, int | float):
            self._finished[_key(config)] = float(value)

    def _setup_study(self, mode: Any) -> None:
        super()._setup_study(mode)
        for trial in self._history:
            self._ot_study.add_trial(trial)
        self._history = []  # once: a restored searcher's study already holds them


class GridSearcher(Searcher):
    """Points of the product of the choices by index, decoded as they are asked for: for a
    grid every combination once, in declaration order (shuffled when seeded), at most
    ``planned_runs``; or the given ``indices`` (random sampling of a finite space)."""

    def __init__(
        self,
        spec: ExperimentSpec,
        *,
        metric: str,
        mode: str,
        indices: list[int] | None = None,
        done: Sequence[dict[str, Any]] = (),
        run_offset: int = 0,
    ) -> None:
        super().__init__(metric=metric, mode=mode)
        self._numbered = run_offset
        # Configurations this experiment already ran (it was extended): each is passed over
        # once where the walk meets it again.
        self._done = Counter(_key(point) for point in done)
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
        while self._next < len(self._indices):
            self._next += 1
            point = grid_point(self._choices, self._names, self._indices[self._next - 1])
            key = _key(point)
            if self._done[key] > 0:
                self._done[key] -= 1
                continue
            self._numbered += 1
            return {**point, RUN_NUMBER_KEY: self._numbered}
        return Searcher.FINISHED

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
            pickle.dump((self._indices, self._next, self._done, self._numbered), handle)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as handle:
            self._indices, self._next, self._done, self._numbered = pickle.load(handle)


def _key(point: dict[str, Any]) -> str:
    return repr(sorted(point.items()))
