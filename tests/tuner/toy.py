"""Small trainables for engine tests: a deterministic learning curve, no TensorFlow.

They live in the tests, as the engine issue allows; Ray workers import this module by name
because Ray puts the test process's working directory on their path.
"""

from __future__ import annotations

import math
import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tuner.core.registry import RunContext, TrainableDefinition, register_trainable


def curve(quality: float, epoch: int) -> float:
    """Rises towards ``quality`` with epochs; distinct qualities never cross."""
    return quality * (1 - math.exp(-epoch / 2))


def fit_curve(params: dict[str, Any], data: Any, ctx: RunContext) -> dict[str, Any]:
    """Stops where a policy stopped it and still returns its final metrics and model."""
    quality = float(params["x"]) + float(params["y"])
    epoch = 0
    _kill_the_driver_once(params["kill_pid_file"])
    for epoch in range(1, int(params["epochs"]) + 1):
        time.sleep(float(params["sleep"]))
        if params["crash_at"] and epoch == params["crash_at"]:
            os.kill(os.getpid(), signal.SIGKILL)  # the worker process dies: kill -9
        if params["raise_at"] and epoch == params["raise_at"]:
            raise RuntimeError(f"toy failure at epoch {epoch}")
        metrics = {"loss": 1.0 / (1 + epoch)}
        if not params["silent"]:
            diverged = params["nan_at"] and epoch >= params["nan_at"]
            metrics["score"] = math.nan if diverged else curve(quality, epoch)
        if params["log_dir"]:  # what the trainable reported, to check the store's rows against
            with open(os.path.join(params["log_dir"], "reports.log"), "a") as log:
                log.write(f"{quality!r} {epoch} {metrics.get('score')!r}\n")
        ctx.report(metrics)
        if params["log_dir"]:  # the report returned: the engine promises it is stored
            with open(os.path.join(params["log_dir"], "acked.log"), "a") as log:
                log.write(f"{quality!r} {epoch} {metrics.get('score')!r}\n")
        if ctx.stop_requested() and params["heeds_stop"]:
            break
    (ctx.run_dir / "model.txt").write_text(f"quality={quality}\n")
    import ray

    return {
        "final_score": curve(quality, epoch),
        "last_epoch": epoch,
        "gpu_ids": [str(g) for g in ray.get_gpu_ids()],  # what Ray assigned this run
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "seed": ctx.seed,  # what the trainable was given, to check the stored seed against
    }


def _kill_the_driver_once(pid_file: str) -> None:
    """A run that starts while ``pid_file`` names a process kills it (SIGKILL), once: the
    driver dies right after the searcher drew this run and the scheduler checkpointed."""
    if not pid_file:
        return
    try:
        pid = int(Path(pid_file).read_text())
        os.unlink(pid_file)  # whoever unlinks it first kills: once only
    except (OSError, ValueError):
        return
    os.kill(pid, signal.SIGKILL)


TOY = TrainableDefinition(
    name="toy_curve",
    hyperparameters={
        "x": 0.5,
        "y": 0.0,
        "epochs": 6,
        "sleep": 0.05,
        "crash_at": 0,
        "raise_at": 0,
        "nan_at": 0,  # from this epoch on the score is NaN: the run diverged
        "silent": False,
        "heeds_stop": True,  # False: it trains on after a policy stopped it
        "log_dir": "",
        "kill_pid_file": "",  # a run starting while this file names a pid kills it, once
    },
    metrics=("score", "loss"),
    final_metrics=("final_score", "last_epoch", "gpu_ids", "cuda_visible_devices", "seed"),
    fit=fit_curve,
    description="deterministic learning curve for engine tests",
    training_length="epochs",  # ASHA's max_t defaults to the largest epochs a run can get
)
register_trainable(TOY, replace=True)


def grid_spec(name: str, xs: Sequence[float] = (0.2, 0.8), **changes: Any) -> dict[str, Any]:
    """A toy grid experiment for the service tests: one run per ``x``, three quick epochs, the
    best run the largest ``x``; ``changes`` replace whole top-level fields."""
    spec: dict[str, Any] = {
        "name": name,
        "trainable": "toy_curve",
        "fixed": {"epochs": 3, "sleep": 0.05},
        "search_space": {"x": {"choice": list(xs)}},
        "sampling": {"method": "grid"},
        "primary_metric": {"name": "score", "goal": "maximize"},
        "budget": {"max_total_runs": len(xs), "max_concurrent_runs": 2},
    }
    return {**spec, **changes}
