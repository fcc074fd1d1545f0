"""Refits through the service (DESIGN §5): checks what the store cannot (does the trainable
refit?) and queues the experiment, whose next driver trains the refit."""

from __future__ import annotations

from typing import Any

from tuner.core.registry import get_trainable
from tuner.errors import ConflictError, NotFoundError


def request_refit(
    store: Any, experiment_id: str, run_id: str | None = None, include_test: bool = False
) -> tuple[Any, str]:
    """Queues a refit of ``run_id`` (default: the best run); returns the experiment's record
    and the run refitted. NotFoundError or ConflictError say why not."""
    experiment = store.get_experiment(experiment_id)
    definition = get_trainable(experiment.trainable)
    if definition is None or not definition.refits:
        raise ConflictError(
            f"trainable {experiment.trainable!r} does not refit (a command trial trains as its "
            "own code says; submit it again with the data it should train on)"
        )
    if run_id is None:
        best = store.best_run(experiment_id)
        if best is None:
            raise NotFoundError(f"experiment {experiment_id} has no scored run to refit")
        run_id = str(best.id)
    return store.request_refit(experiment_id, run_id, include_test), run_id
