"""Store records as wire records (:mod:`tuner.client.schemas`), and responses serialized once."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import BaseModel

from tuner.client.schemas import Experiment, Metrics, Run
from tuner.store import ExperimentRecord, MetricRecord, RunRecord


def json_response(model: BaseModel) -> Response:
    """The model already built and checked, serialized once: a route that returns it skips
    FastAPI's second validation pass (a third of a hot read's time). The route keeps its
    ``response_model`` for the OpenAPI schema."""
    return Response(model.model_dump_json(), media_type="application/json")


def experiment_public(record: ExperimentRecord, best: RunRecord | None) -> Experiment:
    public = Experiment.model_validate(record)
    public.best_run = Run.model_validate(best) if best else None
    return public


def metric_series(run_id: str, rows: list[MetricRecord], max_points: int | None) -> Metrics:
    """The latest attempt's rows as one series per metric, thinned to ``max_points`` if given."""
    attempt = max((r.attempt for r in rows), default=1)
    latest = [r for r in rows if r.attempt == attempt]
    downsampled = bool(max_points) and len(latest) > max_points  # type: ignore[operator]
    if downsampled:
        stride = -(-len(latest) // max_points)  # type: ignore[operator]
        latest = (
            latest[::stride] if latest[-1] in latest[::stride] else [*latest[::stride], latest[-1]]
        )
    names = sorted({name for r in latest for name, v in r.values.items() if _numeric(v)})
    return Metrics(
        run_id=run_id,
        attempt=attempt,
        steps=[r.step for r in latest],
        series={n: [_float(r.values.get(n)) for r in latest] for n in names},
        downsampled=downsampled,
    )


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _float(value: Any) -> float | None:
    return float(value) if _numeric(value) and value == value else None  # NaN → null
