"""The system of record: experiments, runs and metric rows in SQLite or PostgreSQL."""

from tuner.store.records import ExperimentRecord, MetricRecord, NewMetricRow, RunRecord, RunUpdate
from tuner.store.repository import Store, utcnow

__all__ = [
    "ExperimentRecord",
    "MetricRecord",
    "NewMetricRow",
    "RunRecord",
    "RunUpdate",
    "Store",
    "utcnow",
]
