"""The system of record: experiments, runs, metric rows, data sets and driver leases.

:class:`Store` is one object for callers, assembled from one mixin per aggregate.
"""

from __future__ import annotations

from tuner.store.base import make_engine, upgrade_schema, utcnow
from tuner.store.datasets import DatasetStore
from tuner.store.experiments import ExperimentStore
from tuner.store.leases import LeaseStore
from tuner.store.metrics import MetricStore
from tuner.store.records import (
    ExperimentRecord,
    MetricRecord,
    NewMetricRow,
    RunRecord,
    RunUpdate,
    scored_runs,
)
from tuner.store.refits import RefitStore
from tuner.store.runs import RunStore


class Store(ExperimentStore, RunStore, MetricStore, DatasetStore, LeaseStore, RefitStore):
    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Connects (creating a SQLite file's folder) and brings the schema up to date."""
        engine = make_engine(url)
        if migrate:
            upgrade_schema(engine)
        return cls(engine)


__all__ = [
    "ExperimentRecord",
    "MetricRecord",
    "NewMetricRow",
    "RunRecord",
    "RunUpdate",
    "Store",
    "scored_runs",
    "upgrade_schema",
    "utcnow",
]
