"""Who drives an experiment: claims of queued and stale experiments, heartbeats, releases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from tuner.errors import NotFoundError
from tuner.store.base import StoreBase, utcnow
from tuner.store.models import ExperimentRow
from tuner.store.records import ExperimentRecord


class LeaseStore(StoreBase):
    def start_driver(self, experiment_id: str, claimant: str) -> int:
        """Counts a driver start, before the driver exists (so one that dies at once is counted
        too), and hands out the next lease generation, which fences off every earlier driver."""
        with self._sessions.begin() as session:
            generation = session.execute(
                update(ExperimentRow)
                .where(ExperimentRow.id == experiment_id)
                .values(
                    lease_generation=ExperimentRow.lease_generation + 1,
                    driver_attempts=ExperimentRow.driver_attempts + 1,
                    claimed_by=claimant,
                    heartbeat_at=utcnow(),
                )
                .returning(ExperimentRow.lease_generation)
            ).scalar()
        if generation is None:
            raise NotFoundError(f"no experiment with id {experiment_id!r}")
        return int(generation)

    def mark_running(self, experiment_id: str, generation: int | None = None) -> None:
        """The driver holding ``generation`` has started its work."""
        now = utcnow()
        with self._sessions.begin() as session:
            self._fence(session, experiment_id, generation)
            row = self._experiment_row(session, experiment_id)
            row.status = "running"
            row.started_at = row.started_at or now
            row.heartbeat_at = now

    def heartbeat(self, experiment_id: str, generation: int | None = None) -> None:
        with self._sessions.begin() as session:
            if generation is not None:
                self._fence(session, experiment_id, generation)  # beats as it checks
                return
            session.execute(
                update(ExperimentRow)
                .where(ExperimentRow.id == experiment_id)
                .values(heartbeat_at=utcnow())
            )

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
        return [self.get_experiment(i) for i in claimed]  # type: ignore[attr-defined]

    def claim_queued(self, claimant: str) -> ExperimentRecord | None:
        """Atomically takes the oldest queued experiment; two claimants never get the same one."""
        with self._sessions.begin() as session:
            candidates = (
                select(ExperimentRow.id)
                .where(ExperimentRow.status == "queued")
                .order_by(ExperimentRow.created_at)
                .limit(5)
            )
            if self.dialect == "postgresql":
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
        return self.get_experiment(experiment_id)  # type: ignore[attr-defined]

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
                # The driver never started: its start is not counted (no restart is spent).
                .values(
                    status="queued",
                    claimed_by=None,
                    heartbeat_at=None,
                    driver_attempts=ExperimentRow.driver_attempts - 1,
                )
            )
