"""An experiment's ensemble of its finished runs, by its trainable's own ``ensemble``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tuner.core.registry import get_trainable
from tuner.errors import ConflictError, NotFoundError

MEMBERS = ("completed", "early_terminated")


def ensemble_request(store: Any, settings: Any, experiment_id: str) -> tuple[str, list[Any]]:
    """The trainable and the runs that may be members (finished, not refits), best first."""
    experiment = store.get_experiment(experiment_id)
    definition = get_trainable(experiment.trainable)
    if definition is None or definition.ensemble is None:
        raise ConflictError(
            f"trainable {experiment.trainable!r} has no ensemble (its runs store no validation "
            "forecasts to select on)"
        )
    runs = [
        r
        for r in store.list_runs(experiment_id, sort="metric", limit=10_000)
        if r.status in MEMBERS and r.refit_of is None and r.artifact_dir
    ]
    if not runs:
        raise NotFoundError(f"experiment {experiment_id} has no finished run to ensemble")
    root = Path(settings.resolved_storage_path) / experiment_id
    return experiment.trainable, [
        (r.id, r.number, str(root / r.artifact_dir), r.final_metrics or {}) for r in runs
    ]


def build_ensemble(trainable: str, runs: list[Any]) -> dict[str, Any]:
    """Runs in a worker process: the trainable's ensemble, its members named by run."""
    definition = get_trainable(trainable)
    build = definition.resolve_ensemble() if definition is not None else None
    if build is None:
        raise ConflictError(f"trainable {trainable!r} has no ensemble")
    try:
        made = build([Path(folder) for _, _, folder, _ in runs], [final for *_, final in runs])
    except ValueError as err:
        raise ConflictError(str(err)) from None
    by_folder = {Path(folder).name: (run_id, number) for run_id, number, folder, _ in runs}
    members = [
        {"run_id": by_folder[name][0], "number": by_folder[name][1], "weight": weight}
        for name, weight in sorted(made["weights"].items(), key=lambda item: -item[1])
    ]
    return {"members": members, "test": made["test"], "baseline": made["baseline"]}
