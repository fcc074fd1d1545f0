"""Plain records the store hands out; callers never see ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

EXPERIMENT_STATES = ("queued", "running", "completed", "failed", "canceled")
FINISHED_EXPERIMENT_STATES = ("completed", "failed", "canceled")
RUN_STATES = ("queued", "running", "completed", "early_terminated", "failed", "canceled")
FINISHED_RUN_STATES = ("completed", "early_terminated", "failed", "canceled")


@dataclass(frozen=True)
class ExperimentRecord:
    id: str
    name: str
    trainable: str
    status: str
    stop_reason: str | None
    spec: dict[str, Any]
    goal: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancel_requested: bool
    driver_attempts: int
    run_counts: dict[str, int] = field(default_factory=dict)

    @property
    def driver_restarts(self) -> int:
        return max(0, self.driver_attempts - 1)


@dataclass(frozen=True)
class RunRecord:
    id: str
    experiment_id: str
    number: int
    trial_id: str
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
    artifact_dir: str | None


@dataclass(frozen=True)
class MetricRecord:
    run_id: str
    attempt: int
    step: int
    primary_value: float | None
    values: dict[str, Any]
    recorded_at: datetime


@dataclass(frozen=True)
class DatasetRecord:
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


@dataclass
class RunUpdate:
    """A change to one run, applied by :meth:`Store.apply` in one batch with metric rows."""

    trial_id: str
    status: str | None = None
    number: int | None = None
    params: dict[str, Any] | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    best_metric: float | None = None
    epochs: int | None = None
    stopped_at_interval: int | None = None
    attempts: int | None = None
    error: str | None = None
    node: str | None = None
    final_metrics: dict[str, Any] | None = None
    artifact_dir: str | None = None


@dataclass(frozen=True)
class NewMetricRow:
    trial_id: str
    attempt: int
    step: int
    primary_value: float | None
    values: dict[str, Any]
    recorded_at: datetime
