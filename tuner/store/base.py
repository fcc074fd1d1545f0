"""What every part of the store shares: the engine, sessions, schema upgrades and conversions."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Engine,
    Row,
    create_engine,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from tuner.errors import LeaseLost, NotFoundError
from tuner.store.models import ExperimentRow, RunRow
from tuner.store.records import RUN_STATES, ExperimentRecord, RunRecord


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_id() -> str:
    return uuid.uuid4().hex


class StoreBase:
    """The connection and the helpers the aggregate mixins share."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._run_ids: dict[tuple[str, str], str] = {}

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """One round trip to the database (health checks)."""
        with self.engine.connect() as connection:
            connection.execute(select(1))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _experiment_row(self, session: Session, experiment_id: str) -> ExperimentRow:
        row = session.get(ExperimentRow, experiment_id)
        if row is None:
            raise NotFoundError(f"no experiment with id {experiment_id!r}")
        return row

    def _fence(self, session: Session, experiment_id: str, generation: int | None) -> None:
        """Lets a driver's write through only while its lease generation is current. The
        UPDATE holds the experiment row (a lock on PostgreSQL, the write lock on SQLite) to the
        end of the write's transaction, so a takeover cannot slip in between. None: a write of
        the API or the dispatcher, which holds no lease."""
        if generation is None:
            return
        fenced = session.execute(
            update(ExperimentRow)
            .where(ExperimentRow.id == experiment_id, ExperimentRow.lease_generation == generation)
            .values(heartbeat_at=utcnow())
        )
        if fenced.rowcount != 1:
            raise LeaseLost(
                f"experiment {experiment_id}: lease generation {generation} is no longer "
                "current; another driver took over, so this one writes nothing more"
            )

    def _keep_counts(self, session: Session, experiment_id: str) -> None:
        self._experiment_row(session, experiment_id).run_counts = counts_of(
            session, [experiment_id]
        )[experiment_id]


def counts_of(
    connection: Session | Connection, experiment_ids: list[str]
) -> dict[str, dict[str, int]]:
    """Run counts by state for several experiments, counted in one grouped query."""
    counts = {i: dict.fromkeys(RUN_STATES, 0) for i in experiment_ids}
    query = (
        select(RunRow.experiment_id, RunRow.status, func.count())
        .where(RunRow.experiment_id.in_(experiment_ids))
        .group_by(RunRow.experiment_id, RunRow.status)
    )
    for experiment_id, status, count in connection.execute(query):
        counts[experiment_id][status] = count
    return counts


def run_counts(connection: Session | Connection, rows: list[Any]) -> dict[str, dict[str, int]]:
    """Each experiment row's run counts: those kept on the row, else (rows from before the
    counts were kept) counted, all such rows in one query."""
    uncounted = [row.id for row in rows if not row.run_counts]
    counted = counts_of(connection, uncounted) if uncounted else {}
    return {
        row.id: {**dict.fromkeys(RUN_STATES, 0), **row.run_counts}
        if row.run_counts
        else counted[row.id]
        for row in rows
    }


def make_engine(url: str) -> Engine:
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


_MIGRATION_LOCK = 0x7475_6E65  # "tune": the advisory lock key of schema upgrades


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Servers and drivers starting together on one database upgrade it one at a time
            # (two had raced to create alembic_version); the lock ends with the transaction.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def experiment_record(row: ExperimentRow | Row[Any], counts: dict[str, int]) -> ExperimentRecord:
    values = {f.name: getattr(row, f.name) for f in fields(ExperimentRecord)}
    return ExperimentRecord(**{**values, "run_counts": counts})


def run_record(row: Row[Any]) -> RunRecord:
    # Positional: named access on a Core row costs 4x more, and a page holds up to 1,000 runs.
    return RunRecord(*row)
