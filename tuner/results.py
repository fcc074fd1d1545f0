"""Typed results of the Python SDK, built from the service's JSON (unknown keys are ignored,
so a newer server never breaks an older client)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self, TypeVar

T = TypeVar("T")
FINISHED = ("completed", "failed", "canceled")


def _parse(cls: type[T], data: dict[str, Any]) -> T:
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = data.get(f.name)
        if isinstance(value, str) and "datetime" in str(f.type):
            value = datetime.fromisoformat(value)
        values[f.name] = value
    return cls(**values)


class _Result:
    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return _parse(cls, data)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types (times as ISO 8601), as the service sent them."""
        return _jsonable(dataclasses.asdict(self))  # type: ignore[call-overload]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class Run(_Result):
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


@dataclass(frozen=True)
class Experiment(_Result):
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
    best_run: Run | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Experiment:
        best = data.get("best_run")
        return _parse(cls, {**data, "best_run": Run.from_json(best) if best else None})

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def primary_metric(self) -> str:
        return self.spec["primary_metric"]["name"]

    @property
    def max_total_runs(self) -> int:
        return self.spec["budget"]["max_total_runs"]

    @property
    def runs_finished(self) -> int:
        return sum(n for state, n in self.run_counts.items() if state not in ("queued", "running"))


@dataclass(frozen=True)
class Metrics(_Result):
    run_id: str
    attempt: int
    steps: list[int]
    series: dict[str, list[float | None]]
    downsampled: bool


@dataclass(frozen=True)
class Dataset(_Result):
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


@dataclass(frozen=True)
class Artifact(_Result):
    name: str
    size: int
