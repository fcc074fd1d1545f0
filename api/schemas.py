"""Response and request schemas, and the one place records become JSON (never ORM rows)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from tuner.store import ExperimentRecord, MetricRecord, RunRecord
from tuner.store.records import DatasetRecord


class ErrorPublic(BaseModel):
    detail: str
    errors: list[dict[str, str]] = Field(default_factory=list, description="field, message pairs")


class RunPublic(BaseModel):
    id: str
    experiment_id: str
    number: int
    status: str
    params: dict[str, Any]
    best_metric: float | None
    epochs: int
    stopped_at_interval: int | None
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    node: str | None
    final_metrics: dict[str, Any] | None


class ExperimentPublic(BaseModel):
    id: str
    name: str
    trainable: str
    status: str
    stop_reason: str | None
    spec: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancel_requested: bool
    driver_restarts: int
    run_counts: dict[str, int]
    best_run: RunPublic | None


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


class ArtifactPublic(BaseModel):
    name: str
    size: int


class DatasetPublic(BaseModel):
    id: str
    name: str
    rows: int
    columns: list[str]
    frequency_seconds: int
    start: datetime
    end: datetime
    size_bytes: int
    sha256: str
    created_at: datetime


class DatasetPage(BaseModel):
    items: list[DatasetPublic]
    limit: int
    offset: int


class HealthPublic(BaseModel):
    status: str
    version: str
    database: str


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None else None


def run_public(run: RunRecord) -> RunPublic:
    return RunPublic(
        id=run.id,
        experiment_id=run.experiment_id,
        number=run.number,
        status=run.status,
        params=run.params,
        best_metric=run.best_metric,
        epochs=run.epochs,
        stopped_at_interval=run.stopped_at_interval,
        attempts=run.attempts,
        started_at=_utc(run.started_at),
        finished_at=_utc(run.finished_at),
        error=run.error,
        node=run.node,
        final_metrics=run.final_metrics,
    )


def experiment_public(record: ExperimentRecord, best: RunRecord | None) -> ExperimentPublic:
    return ExperimentPublic(
        id=record.id,
        name=record.name,
        trainable=record.trainable,
        status=record.status,
        stop_reason=record.stop_reason,
        spec=record.spec,
        created_at=_utc(record.created_at),  # type: ignore[arg-type]
        started_at=_utc(record.started_at),
        finished_at=_utc(record.finished_at),
        cancel_requested=record.cancel_requested,
        driver_restarts=max(0, record.driver_attempts - 1),
        run_counts=record.run_counts,
        best_run=run_public(best) if best else None,
    )


def dataset_public(record: DatasetRecord) -> DatasetPublic:
    return DatasetPublic(
        id=record.id,
        name=record.name,
        rows=record.rows,
        columns=record.columns,
        frequency_seconds=record.frequency_seconds,
        start=record.start,
        end=record.end,
        size_bytes=record.size_bytes,
        sha256=record.sha256,
        created_at=_utc(record.created_at),  # type: ignore[arg-type]
    )


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
