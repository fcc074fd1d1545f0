"""The sampling methods behind Ray Tune's public Searcher API, all seeded."""

from __future__ import annotations

import math
import pickle
from collections import Counter
from collections.abc import Callable, Container, Sequence
from typing import Any

from ray.tune.search import Searcher

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
from tuner.core.values import as_real
from tuner.engine.scheduler import FINAL_KEY, STEP_KEY

Finished = tuple[dict[str, Any], float]  # a finished run's configuration and best value
Done = tuple[dict[str, Any], float | None]  # a finished run of this experiment, scored or not


class CountedNumbers:
    """Run numbers counted on from ``offset`` (a searcher without a store: tests, benches)."""

    def __init__(self, offset: int = 0) -> None:
        self.last = offset

    def __call__(self, trial_id: str) -> int:
        self.last += 1
        return self.last


def build_searcher(
    spec: ExperimentSpec,
    history: Sequence[Finished] = (),
    done: Sequence[Done] = (),
    numbers: Callable[[str], int] | None = None,
    policy_stops: Container[str] | None = None,
) -> Searcher:
    """``history``: the scored runs the sampler learns from before it draws (this experiment's,
    when it is extended, and those of the experiments it warm-starts from); ``done``: every
    finished run of this experiment, whatever its end, which no sampler draws again (DESIGN
    §5); ``numbers``: hands each drawn trial its run number (the store's, in the driver);
    ``policy_stops``: the trials an early-termination policy stopped (the scheduler's, live),
    which a Bayesian sampler learns from at the rung they reached, not as finished runs."""
    import optuna

    numbers = numbers or CountedNumbers()
    mode = "max" if spec.primary_metric.goal == "maximize" else "min"
    ran = [params for params, _ in done]
    if spec.sampling.method == "grid":
        return GridSearcher(spec, metric=OBJECTIVE_KEY, mode=mode, done=ran, numbers=numbers)
    if spec.sampling.method == "random" and is_finite(spec.search_space):
        # Optuna's random sampler draws with replacement: in a small space it repeated
        # configurations while others were never tried. Each once, in random order, instead.
        size = grid_size(spec.search_space)
        indices = random_indices(size, spec.planned_runs, spec.sampling.seed)
        return GridSearcher(
            spec, metric=OBJECTIVE_KEY, mode=mode, indices=indices, done=ran, numbers=numbers
        )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return OptunaSearcher(
        DefineByRun(spec.search_space),
        metric=OBJECTIVE_KEY,
        mode=mode,
        sampler=build_sampler(spec),
        history=[told for told in (as_optuna_trial(spec, *run) for run in history) if told],
        done=done,
        numbers=numbers,
        policy_stops=policy_stops,
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


class _CheckpointedSearcher(Searcher):
    """Saved into Ray's experiment checkpoint whole (its run-number source relinks)."""

    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as handle:
            pickle.dump(self.__dict__, handle)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as handle:
            self.__dict__.update(pickle.load(handle))


class OptunaSearcher(_CheckpointedSearcher):
    """An Optuna study behind Ray Tune's public Searcher API (ask at suggest, each interval's
    objective reported at its step, tell at the end), over a define-by-run space; the study
    starts with the ``history`` (extend, warm start).

    Multi-fidelity: a run in ``policy_stops`` is told as pruned, so TPE ranks it by the last
    step it reached and its value there (Optuna's TPE with a pruner): below every run that
    trained to its end, and deeper rungs above shallower ones. Without this, a run stopped at
    its first rung competed on its best value of a few epochs with runs trained to the end.

    It never starts a configuration that already finished in this experiment (DESIGN §5): TPE
    in a space of ``choice``s does propose one again; the study is then told that run's known
    value (or, for one that failed, that it was pruned) and asked again, up to ``MAX_REDRAWS``
    times, after which the space is as good as exhausted and the repeat is let through."""

    MAX_REDRAWS = 50

    def __init__(
        self,
        space: DefineByRun,
        *,
        metric: str,
        mode: str,
        sampler: Any,
        history: Sequence[Any] = (),
        done: Sequence[Done] = (),
        numbers: Callable[[str], int],
        policy_stops: Container[str] | None = None,
    ) -> None:
        import optuna

        super().__init__(metric=metric, mode=mode)
        self._space = space
        self._numbers = numbers
        self._policy_stops = policy_stops
        self._steps: dict[str, int] = {}  # trial id -> the last step reported to its trial
        self.study = optuna.create_study(
            sampler=sampler, direction="maximize" if mode == "max" else "minimize"
        )
        for trial in history:
            self.study.add_trial(trial)
        self._finished: dict[str, float | None] = {_key(params): value for params, value in done}
        self._asked: dict[str, Any] = {}  # trial id -> (Optuna trial, drawn configuration)

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        from optuna.trial import TrialState

        for attempt in range(self.MAX_REDRAWS):
            asked = self.study.ask()
            config = self._space(asked)
            key = _key(config)
            if key not in self._finished or attempt == self.MAX_REDRAWS - 1:
                break
            known = self._finished[key]
            if known is None:
                # Pruned, not failed: TPE ranks a pruned trial below every scored one, so it
                # moves away from a configuration that failed instead of proposing it again.
                self.study.tell(asked, state=TrialState.PRUNED)
            else:
                self.study.tell(asked, known)
        self._asked[trial_id] = (asked, config)
        return {**config, RUN_NUMBER_KEY: self._numbers(trial_id)}

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        asked, _ = self._asked.get(trial_id, (None, None))
        value, step = as_real(result.get(self.metric)), result.get(STEP_KEY)
        if asked is None or result.get(FINAL_KEY) or value is None or not math.isfinite(value):
            return
        # A retried run counts its steps from 1 again; its first attempt's reports stand.
        if isinstance(step, int) and step > self._steps.get(trial_id, 0):
            self._steps[trial_id] = step
            asked.report(value, step)

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        from optuna.trial import TrialState

        asked, config = self._asked.pop(trial_id, (None, None))
        self._steps.pop(trial_id, None)
        if asked is None:
            return
        value = as_real((result or {}).get(self.metric))
        if error or value is None or not math.isfinite(value):
            self.study.tell(asked, state=TrialState.FAIL)
            self._finished.setdefault(_key(config), None)
            return
        if self._policy_stops is not None and trial_id in self._policy_stops:
            self.study.tell(asked, state=TrialState.PRUNED)
        else:
            self.study.tell(asked, value)
        self._finished[_key(config)] = value

    def save(self, checkpoint_path: str) -> None:
        # The scheduler's live record does not survive a restore (the restored scheduler is
        # another object): a restored searcher tells every run as finished, as before.
        stops, self._policy_stops = self._policy_stops, None
        try:
            super().save(checkpoint_path)
        finally:
            self._policy_stops = stops

    def set_search_properties(
        self, metric: str | None, mode: str | None, config: dict[str, Any], **spec: Any
    ) -> bool:
        return True


class GridSearcher(_CheckpointedSearcher):
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
        numbers: Callable[[str], int],
    ) -> None:
        super().__init__(metric=metric, mode=mode)
        self._numbers = numbers
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
            return {**point, RUN_NUMBER_KEY: self._numbers(trial_id)}
        return Searcher.FINISHED

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        pass

    def set_search_properties(
        self, metric: str | None, mode: str | None, config: dict[str, Any], **spec: Any
    ) -> bool:
        return True


def _key(point: dict[str, Any]) -> str:
    return repr(sorted(point.items()))
