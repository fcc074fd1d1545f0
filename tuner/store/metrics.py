"""Metric rows: one per reported epoch of a run's attempt."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import bindparam, func, select

from tuner.store.base import StoreBase
from tuner.store.models import MetricRow, RunRow
from tuner.store.records import FINISHED_RUN_STATES, MetricRecord

_METRICS = MetricRow.__table__
_METRICS_OF_RUN = (
    select(*(_METRICS.c[f.name] for f in fields(MetricRecord)))
    .where(_METRICS.c.run_id == bindparam("id"))
    .order_by(_METRICS.c.attempt, _METRICS.c.step)
)


class MetricStore(StoreBase):
    def metric_rows(self, run_id: str) -> list[MetricRecord]:
        with self.engine.connect() as connection:
            return [MetricRecord(*r) for r in connection.execute(_METRICS_OF_RUN, {"id": run_id})]

    def primary_histories(self, experiment_id: str) -> tuple[dict[str, list[float]], set[str]]:
        """Each run's primary-metric series (latest attempt) by trial id, and the finished ones.

        What a restarted driver's early-termination policy needs to decide as before.
        """
        histories: dict[str, list[float]] = {}
        finished: set[str] = set()
        with self._sessions() as session:
            runs = session.scalars(
                select(RunRow).where(RunRow.experiment_id == experiment_id)
            ).all()
            for run in runs:
                rows = session.scalars(
                    select(MetricRow)
                    .where(MetricRow.run_id == run.id, MetricRow.attempt == run.attempts)
                    .order_by(MetricRow.step)
                ).all()
                histories[run.trial_id] = [
                    r.primary_value for r in rows if r.primary_value is not None
                ]
                if run.status in FINISHED_RUN_STATES:
                    finished.add(run.trial_id)
        return histories, finished

    def count_metric_rows(self, experiment_id: str) -> int:
        query = (
            select(func.count(MetricRow.id))
            .join(RunRow)
            .where(RunRow.experiment_id == experiment_id)
        )
        with self._sessions() as session:
            return int(session.scalar(query) or 0)
