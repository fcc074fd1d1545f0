"""How an experiment ended, decided from what the store holds (also after a driver restart)."""

from __future__ import annotations

import time
from datetime import UTC

from tuner.core.spec import ExperimentSpec
from tuner.store import ExperimentRecord, Store


def as_utc_epoch(record: ExperimentRecord) -> float | None:
    return record.started_at.replace(tzinfo=UTC).timestamp() if record.started_at else None


def outcome_from_store(
    spec: ExperimentSpec,
    store: Store,
    experiment_id: str,
    deadline: float | None,
    generation: int | None = None,
) -> tuple[str, str]:
    """The experiment's end, decided from what the store holds (also after a driver restart)."""
    if store.cancel_requested(experiment_id):
        store.close_running_runs(experiment_id, "canceled", generation)
        return "canceled", "canceled by request"
    runs = store.list_runs(experiment_id)
    metric = spec.primary_metric.name
    if not runs:
        # Nothing ran: never "completed" (the duration passed with no node able to take a run).
        return "failed", "no run started; check that the cluster has nodes with the resources"
    reported = any(r.best_metric is not None for r in runs)
    if deadline is not None and time.time() >= deadline:
        store.close_running_runs(experiment_id, "canceled", generation)
        reason = f"max_duration_minutes ({spec.budget.max_duration_minutes:g}) reached"
        if not reported:
            reason += f"; no run had reported the primary metric {metric!r} by then"
        return "completed", reason
    if not reported:
        errors = [r.error for r in runs if r.error]
        seen = sorted({k for r in runs for row in store.metric_rows(r.id)[:1] for k in row.values})
        detail = f"; they reported: {', '.join(seen)}" if seen else ""
        if errors:
            detail += f"; first run error: {errors[0].strip().splitlines()[-1]}"
        return "failed", f"no run reported the primary metric {metric!r}{detail}"
    if spec.sampling.method == "grid" and spec.grid_size <= spec.budget.max_total_runs:
        return "completed", f"grid exhausted ({spec.grid_size} combinations)"
    return "completed", f"max_total_runs ({spec.budget.max_total_runs}) reached"
