"""Response and request schemas, and the one place records become JSON (never ORM rows)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from tuner.store import ExperimentRecord, MetricRecord, RunRecord
from tuner.store.overview import Overview
from tuner.store.records import DatasetRecord


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]  # the store keeps naive UTC


class _FromRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorPublic(BaseModel):
    detail: str
    errors: list[dict[str, str]] = Field(default_factory=list, description="field, message pairs")


class RunPublic(_FromRecord):
    id: str
    experiment_id: str
    number: int
    status: str
    params: dict[str, Any]
    best_metric: float | None
    epochs: int
    stopped_at_interval: int | None
    attempts: int
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    error: str | None
    node: str | None
    final_metrics: dict[str, Any] | None


class ExperimentPublic(_FromRecord):
    id: str
    name: str
    trainable: str
    status: str
    stop_reason: str | None
    spec: dict[str, Any]
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    cancel_requested: bool
    driver_restarts: int
    run_counts: dict[str, int]
    best_run: RunPublic | None = None


class ExperimentPage(BaseModel):
    items: list[ExperimentPublic]
    limit: int
    offset: int


class RunPage(BaseModel):
    items: list[RunPublic]
    limit: int
    offset: int


class MetricSeries(BaseModel):
    run_id: str
    attempt: int
    steps: list[int]
    series: dict[str, list[float | None]]
    downsampled: bool


class CurvePublic(BaseModel):
    run_id: str
    number: int
    status: str
    stopped_at_interval: int | None
    steps: list[int]
    values: list[float]


class OverviewPublic(BaseModel):
    """Runs as columns (aligned lists, sampled past ``max_runs``), the best-so-far over every
    run, and a bounded set of thinned learning curves."""

    experiment_id: str
    goal: str
    columns: dict[str, list[Any]] = Field(
        description="id, number, status, best_metric, epochs, stopped_at_interval"
    )
    params: dict[str, list[Any]] = Field(description="one column per hyperparameter")
    runs_total: int = Field(description="runs in the experiment; `columns` may show fewer")
    best_so_far: dict[str, list[Any]] = Field(
        description="number, value: where the best over all runs improved, and the last run"
    )
    curves: list[CurvePublic]
    curves_total: int = Field(description="runs with values; `curves` may show fewer")


def overview_public(overview: Overview) -> OverviewPublic:
    return OverviewPublic.model_validate(overview, from_attributes=True)


class ArtifactPublic(BaseModel):
    name: str
    size: int


class DatasetPublic(_FromRecord):
    id: str
    name: str
    rows: int
    columns: list[str]
    frequency_seconds: int
    start: datetime
    end: datetime
    size_bytes: int
    sha256: str
    created_at: UtcDatetime


class DatasetPage(BaseModel):
    items: list[DatasetPublic]
    limit: int
    offset: int


class HealthPublic(BaseModel):
    status: str
    version: str
    database: str


def run_public(run: RunRecord) -> RunPublic:
    return RunPublic.model_validate(run)


def json_response(model: BaseModel) -> Response:
    """The model already built and checked, serialized once: a route that returns it skips
    FastAPI's second validation pass (a third of a hot read's time). The route keeps its
    ``response_model`` for the OpenAPI schema."""
    return Response(model.model_dump_json(), media_type="application/json")


def experiment_public(record: ExperimentRecord, best: RunRecord | None) -> ExperimentPublic:
    public = ExperimentPublic.model_validate(record)
    public.best_run = run_public(best) if best else None
    return public


def dataset_public(record: DatasetRecord) -> DatasetPublic:
    return DatasetPublic.model_validate(record)


def metric_series(run_id: str, rows: list[MetricRecord], max_points: int | None) -> MetricSeries:
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
    return MetricSeries(
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
