"""The function Ray Tune runs for every trial: it wraps a trainable's ``fit``.

It merges defaults, fixed values and sampled values, hands the trainable a reporter that adds
the best-so-far objective (which the searcher learns from), and reports the final metrics last.
"""

from __future__ import annotations

import math
import socket
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ray
from ray import tune

from tuner.core.refits import REFIT_KEY, Refit
from tuner.core.registry import RunContext, TrainableDefinition
from tuner.core.sampling import OBJECTIVE_KEY, RUN_NUMBER_KEY
from tuner.core.values import as_number, interval_value
from tuner.engine.scheduler import FINAL_KEY, STEP_KEY
from tuner.engine.stop_board import find_board
from tuner.errors import RunFailed, RunStopped

NODE_KEY = "_node"


@dataclass(frozen=True)
class TrialPlan:
    """Everything a trial needs besides its sampled config; pickled once per experiment."""

    definition: TrainableDefinition
    fixed: Mapping[str, Any]
    metric: str
    maximize: bool
    artifact_root: str
    cpus: float
    gpus: float
    finished_trials: frozenset[str] = frozenset()  # after a driver restart: never train again
    seed: int = 0  # the experiment's; each run's is derived from it and the run's number
    stop_board: str | None = None  # the experiment whose board says which runs a policy stopped
    repeats: int = 1  # a trial group's seeds and folds (DESIGN §6.4)
    folds: int = 1


    @classmethod
    def of(cls, spec: Any, artifact_root: str, **more: Any) -> TrialPlan:
        """What every run of ``spec`` shares; ``more`` gives the rest."""
        return cls(
            definition=spec.definition,
            fixed=dict(spec.fixed),
            metric=spec.primary_metric.name,
            maximize=spec.primary_metric.goal.value == "maximize",
            artifact_root=artifact_root,
            cpus=spec.resources.cpu,
            gpus=spec.resources.gpu,
            repeats=spec.evaluation.repeats,
            **more,
        )

    def trainable(self, data: Any) -> Any:
        """What Ray Tune runs: :func:`run_trial` with the data and this plan, and the
        resources every run asks for."""
        return tune.with_resources(
            tune.with_parameters(run_trial, data=data, plan=self),
            {"cpu": self.cpus, "gpu": self.gpus},
        )


SEED_KEY = "_seed"


def experiment_seed(sampling_seed: int | None, experiment_id: str) -> int:
    """The spec's seed, else one fixed by the experiment's id (stable across restarts)."""
    return sampling_seed if sampling_seed is not None else zlib.crc32(experiment_id.encode())


def run_seed(seed: int, number: int) -> int:
    """DESIGN §6.4: from the experiment's seed and the run's number."""
    return (seed * 1_000_003 + number) % 2**31


def node_name() -> str:
    """``host/ray-node-id``: the host for people, Ray's node id (12 hex) to tell apart two
    nodes on one host."""
    import ray

    return f"{socket.gethostname()}/{ray.get_runtime_context().get_node_id()[:12]}"


def coerced(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """Every number (numpy's included) as a Python int or float; other values as they are."""
    return {
        name: value if (real := as_number(value)) is None else real
        for name, value in metrics.items()
    }


def interval_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The one boundary for an interval report: every value a number (RunFailed otherwise)."""
    try:
        return {str(name): interval_value(str(name), v) for name, v in metrics.items()}
    except ValueError as err:
        raise RunFailed(str(err)) from None


def run_trial(config: dict[str, Any], data: Any = None, plan: TrialPlan | None = None) -> None:
    assert plan is not None
    keys = (RUN_NUMBER_KEY, REFIT_KEY)
    sampled = {name: value for name, value in config.items() if name not in keys}
    refit = Refit.from_config(config[REFIT_KEY]) if REFIT_KEY in config else None
    params = {**plan.definition.hyperparameters, **plan.fixed, **sampled}
    trial_id = tune.get_context().get_trial_id()
    if trial_id in plan.finished_trials:
        return  # its result is in the store; Ray's checkpoint predates the run's end
    run_dir = Path(plan.artifact_root) / trial_id
    run_dir.mkdir(parents=True, exist_ok=True)
    state = {"best": math.nan, "step": 0, "reports": 0}
    seed = refit.seed if refit is not None else run_seed(plan.seed, config[RUN_NUMBER_KEY])
    board = find_board(plan.stop_board) if plan.stop_board else None
    stopped = threading.Event()

    def report(metrics: Mapping[str, Any], step: int | None = None) -> None:
        if stopped.is_set():
            raise RunStopped(f"run {trial_id} reported after a policy had stopped it")
        metrics = interval_metrics(metrics)
        value = metrics.get(plan.metric)
        if isinstance(value, int | float) and math.isfinite(value):
            best = state["best"]
            if math.isnan(best) or (value > best if plan.maximize else value < best):
                state["best"] = float(value)
        # A trainable's own count, where it keeps one, as long as it goes forward.
        state["step"] = step if step is not None and step > state["step"] else state["step"] + 1
        result = {**metrics, OBJECTIVE_KEY: state["best"], STEP_KEY: state["step"]}
        state["reports"] += 1
        if state["reports"] == 1:  # the first report, whatever step the trainable gave it
            result[NODE_KEY] = node_name()
            result[SEED_KEY] = seed
        tune.report(result)
        # Ray returns from a report only once the scheduler has judged it, and the scheduler
        # posts a stop before that: this read sees the decision on this very report.
        if board is not None and ray.get(board.requested.remote(trial_id)):
            stopped.set()

    context = RunContext(
        report=report,
        run_dir=run_dir,
        cpus=plan.cpus,
        gpus=plan.gpus,
        primary_metric=plan.metric,
        seed=seed,
        stop_requested=stopped.is_set,
        repeats=plan.repeats,
        folds=plan.folds,
        refit=refit,
    )
    try:
        final = plan.definition.resolve_fit()(params, data, context) or {}
    except RunStopped:
        return  # a trainable that went on training after its stop: it ends without results
    tune.report(
        {
            **coerced(final),
            FINAL_KEY: True,
            OBJECTIVE_KEY: state["best"],
            STEP_KEY: state["step"] + 1,
        }
    )
