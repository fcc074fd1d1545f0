"""Plain records the store hands out (callers never see ORM rows), and the driver's changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, make_dataclass
from datetime import datetime
from typing import Any, get_args, get_type_hints

from tuner.store.models import Base, DatasetRow, ExperimentRow, MetricRow, RunRow

EXPERIMENT_STATES = ("queued", "running", "completed", "failed", "canceled")
FINISHED_EXPERIMENT_STATES = ("completed", "failed", "canceled")
RUN_STATES = ("queued", "running", "completed", "early_terminated", "failed", "canceled")
FINISHED_RUN_STATES = ("completed", "early_terminated", "failed", "canceled")


def _record_of(
    row_class: type[Base],
    name: str,
    *,
    without: tuple[str, ...] = (),
    namespace: dict[str, Any] | None = None,
) -> type:
    """A frozen dataclass with the table's columns, in the table's order: a record is a row
    detached from the database, so its fields are declared once, by the table. (Reads build
    run and metric records positionally from Core rows, which relies on that order.)"""
    hints = get_type_hints(row_class)
    fields = [
        (column.name, get_args(hints[column.name])[0])  # Mapped[X] -> X
        for column in row_class.__table__.columns
        if column.name not in without
    ]
    record = make_dataclass(name, fields, frozen=True, namespace=namespace)
    record.__module__ = __name__  # for pickling and reprs, as a class statement here would be
    return record


ExperimentRecord = _record_of(
    ExperimentRow,
    "ExperimentRecord",
    without=("heartbeat_at", "claimed_by", "lease_generation"),  # the lease's
    namespace={"driver_restarts": property(lambda self: max(0, self.driver_attempts - 1))},
)
RunRecord = _record_of(RunRow, "RunRecord")
MetricRecord = _record_of(MetricRow, "MetricRecord", without=("id",))
DatasetRecord = _record_of(DatasetRow, "DatasetRecord")


def scored_runs(runs: Sequence[Any]) -> list[tuple[dict[str, Any], float]]:
    """(params, best value) of the runs that reported the primary metric: what a sampler
    learns from and what parameter importance is computed over."""
    return [(r.params, r.best_metric) for r in runs if r.best_metric is not None and r.params]


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
    seed: int | None = None
    final_metrics: dict[str, Any] | None = None
    artifact_dir: str | None = None
    refit_of: str | None = None
    refit: dict[str, Any] | None = None


@dataclass(frozen=True)
class NewMetricRow:
    trial_id: str
    attempt: int
    step: int
    primary_value: float | None
    values: dict[str, Any]
    recorded_at: datetime
