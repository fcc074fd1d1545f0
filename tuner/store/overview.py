"""The whole-experiment read behind the dashboard's charts, sized for 10,000 runs x 50 epochs.

Runs come back as columns (number, status, best value, params) for the parallel-coordinates
and scatter charts: all of them up to ``max_runs``, else the best half of that and an even
sample of the rest. The best-so-far curve is computed over every run and sent as its change
points. Learning curves come back for a bounded choice of runs (the running, the best, the
latest), each thinned to a bounded number of points. A browser draws 10,000 WebGL lines in
seconds, not milliseconds; what it gets stays readable and quick however large the experiment.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tuner.errors import NotFoundError
from tuner.store.models import ExperimentRow, MetricRow, RunRow


def experiment_overview(
    engine: Any,
    experiment_id: str,
    max_curves: int = 200,
    max_points: int = 100,
    max_runs: int = 1000,
) -> dict[str, Any]:
    """The overview as the wire record :class:`tuner.client.schemas.Overview` reads it."""
    runs, metrics = RunRow.__table__.c, MetricRow.__table__.c
    with engine.connect() as connection:
        experiments = ExperimentRow.__table__.c
        goal = connection.scalar(select(experiments.goal).where(experiments.id == experiment_id))
        if goal is None:
            raise NotFoundError(f"no experiment with id {experiment_id!r}")
        rows = connection.execute(
            select(
                runs.id,
                runs.number,
                runs.status,
                runs.best_metric,
                runs.epochs,
                runs.stopped_at_interval,
                runs.attempts,
                runs.params,
            )
            .where(runs.experiment_id == experiment_id)
            .order_by(runs.number)
        ).all()
        chosen = _choose_curves(rows, goal, max_curves)
        points = {r.id: _empty_curve(r) for r in chosen}
        attempts = {r.id: r.attempts for r in chosen}
        if chosen:
            for run_id, attempt, step, value in connection.execute(
                select(metrics.run_id, metrics.attempt, metrics.step, metrics.primary_value)
                .where(metrics.run_id.in_(list(points)), metrics.primary_value.is_not(None))
                .order_by(metrics.run_id, metrics.step)
            ):
                if attempt == attempts[run_id]:  # the latest attempt's curve only
                    points[run_id]["steps"].append(step)
                    points[run_id]["values"].append(value)
    shown = _sample_runs(rows, goal, max_runs)
    names = sorted({name for r in shown for name in (r.params or {})})
    return {
        "experiment_id": experiment_id,
        "goal": goal,
        "columns": {
            "id": [r.id for r in shown],
            "number": [r.number for r in shown],
            "status": [r.status for r in shown],
            "best_metric": [r.best_metric for r in shown],
            "epochs": [r.epochs for r in shown],
            "stopped_at_interval": [r.stopped_at_interval for r in shown],
        },
        "params": {n: [(r.params or {}).get(n) for r in shown] for n in names},
        "runs_total": len(rows),
        "best_so_far": _best_so_far(rows, goal == "maximize"),
        "curves": [_thin(c, max_points) for c in points.values() if c["steps"]],
        "curves_total": sum(r.epochs > 0 or r.best_metric is not None for r in rows),
    }


def _empty_curve(row: Any) -> dict[str, Any]:
    return {
        "run_id": row.id,
        "number": row.number,
        "status": row.status,
        "stopped_at_interval": row.stopped_at_interval,
        "steps": [],
        "values": [],
    }


def _best_so_far(rows: list[Any], maximize: bool) -> dict[str, list[Any]]:
    """The running best by run number, as its change points plus the last run."""
    numbers: list[int] = []
    values: list[float] = []
    best: float | None = None
    for row in rows:
        value = row.best_metric
        if value is not None and (best is None or (value > best if maximize else value < best)):
            best = value
            numbers.append(row.number)
            values.append(value)
    if rows and numbers and numbers[-1] != rows[-1].number:
        numbers.append(rows[-1].number)
        values.append(values[-1])
    return {"number": numbers, "value": values}


def _sample_runs(rows: list[Any], goal: str, limit: int) -> list[Any]:
    """All runs when they fit; else the best half of ``limit`` and an even spread of the rest."""
    if len(rows) <= limit:
        return list(rows)
    scored = sorted(
        (r for r in rows if r.best_metric is not None),
        key=lambda r: r.best_metric,
        reverse=goal == "maximize",
    )
    picked = {r.id: r for r in scored[: limit // 2]}
    rest = [r for r in rows if r.id not in picked]
    stride = len(rest) / (limit - len(picked))
    for i in range(limit - len(picked)):
        row = rest[int(i * stride)]
        picked[row.id] = row
    return sorted(picked.values(), key=lambda r: r.number)


def _choose_curves(rows: list[Any], goal: str, limit: int) -> list[Any]:
    """All runs when they fit; else every running run, then the best, then the latest."""
    if len(rows) <= limit:
        return list(rows)
    picked: dict[str, Any] = {r.id: r for r in rows if r.status == "running"}
    scored = [r for r in rows if r.best_metric is not None]
    scored.sort(key=lambda r: r.best_metric, reverse=goal == "maximize")
    for row in scored[: max(0, limit // 2)]:
        picked.setdefault(row.id, row)
    for row in reversed(rows):
        if len(picked) >= limit:
            break
        picked.setdefault(row.id, row)
    return sorted(picked.values(), key=lambda r: r.number)


def _thin(curve: dict[str, Any], max_points: int) -> dict[str, Any]:
    """Every k-th point, always keeping the last (where a stopped run was cut short)."""
    steps = curve["steps"]
    if len(steps) <= max_points:
        return curve
    stride = -(-len(steps) // max_points)
    keep = list(range(0, len(steps), stride))
    if keep[-1] != len(steps) - 1:
        keep.append(len(steps) - 1)
    return {
        **curve,
        "steps": [steps[i] for i in keep],
        "values": [curve["values"][i] for i in keep],
    }
