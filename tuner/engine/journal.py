"""The driver's writes to the store: transient errors retried with backoff up to a cap, what
could not be written by then journaled beside the driver's checkpoint (DESIGN §5).

A journal is JSON lines of run changes and metric rows, in the order they were reported. The
next driver of the experiment writes it before anything else; rows already stored are skipped,
so a replay never duplicates one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from tuner.errors import StoreRefused, StoreUnavailable
from tuner.store import NewMetricRow, RunUpdate, Store
from tuner.store.faults import describe, is_transient

log = logging.getLogger("tunedrive.journal")
RETRY_FIRST_SECONDS = 0.2
RETRY_MAX_SECONDS = 5.0
T = TypeVar("T")
_DATES = {f.name for f in fields(RunUpdate) if "datetime" in str(f.type)} | {"recorded_at"}


class StoreWriter:
    """Writes one batch at a time for a driver that holds lease ``generation``."""

    def __init__(
        self,
        store: Store,
        experiment_id: str,
        generation: int | None,
        journal: Path,
        retry_seconds: float,
    ) -> None:
        self.store = store
        self.experiment_id = experiment_id
        self.generation = generation
        self.journal = journal
        self.retry_seconds = retry_seconds
        # Set once a write gave up: the heartbeat stops renewing the lease, and every later
        # batch goes straight to the journal (its order kept).
        self.broken = threading.Event()

    def write(self, updates: list[RunUpdate], rows: list[NewMetricRow]) -> None:
        """Stored, or journaled and StoreUnavailable raised; StoreRefused for an error no
        retry can fix. LeaseLost passes through (this driver must write nothing more)."""
        if not updates and not rows:
            return
        if self.broken.is_set():
            self._journal(updates, rows)
            raise StoreUnavailable(f"experiment {self.experiment_id}: the store is unavailable")
        try:
            with_retries(
                lambda: self.store.apply(self.experiment_id, updates, rows, self.generation),
                self.retry_seconds,
                f"experiment {self.experiment_id}: writing {len(updates)} run changes and "
                f"{len(rows)} metric rows",
            )
        except StoreUnavailable as error:
            self.broken.set()
            self._journal(updates, rows)
            raise StoreUnavailable(
                f"{error}; {len(rows)} metric rows journaled in {self.journal} for the next driver"
            ) from error

    def _journal(self, updates: list[RunUpdate], rows: list[NewMetricRow]) -> None:
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        with self.journal.open("a") as handle:
            for update in updates:
                handle.write(json.dumps({"update": _plain(asdict(update))}) + "\n")
            for row in rows:
                handle.write(json.dumps({"row": _plain(asdict(row))}) + "\n")


def with_retries(write: Callable[[], T], retry_seconds: float, what: str) -> T:
    """``write()``, retried with backoff while its store errors are transient, for up to
    ``retry_seconds``: then StoreUnavailable. StoreRefused at once for any other store error."""
    deadline = time.monotonic() + retry_seconds
    delay = RETRY_FIRST_SECONDS
    while True:
        try:
            return write()
        except SQLAlchemyError as error:
            if not is_transient(error):
                raise StoreRefused(f"the store refused {what}: {describe(error)}") from error
            if time.monotonic() + delay > deadline:
                raise StoreUnavailable(
                    f"{what}: the store could not be reached for {retry_seconds:g} s "
                    f"({describe(error)})"
                ) from error
            log.warning("%s failed (%s); retrying in %.1f s", what, describe(error), delay)
            time.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)


def replay_journal(store: Store, experiment_id: str, generation: int, journal: Path) -> int:
    """Writes a journal a previous driver left (one transaction, fenced by this driver's
    lease), then removes it; the number of metric rows it held."""
    if not journal.exists():
        return 0
    updates, rows = [], []
    for line in journal.read_text().splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short when that driver died: nothing after it was written
        if "update" in entry:
            updates.append(RunUpdate(**_dated(entry["update"])))
        elif "row" in entry:
            rows.append(NewMetricRow(**_dated(entry["row"])))
    # Run changes first, as reported: a run's start precedes its rows.
    store.apply(experiment_id, updates, rows, generation)
    journal.unlink()
    log.info("experiment %s: %d journaled metric rows written", experiment_id, len(rows))
    return len(rows)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def _dated(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: datetime.fromisoformat(v) if k in _DATES and isinstance(v, str) else v
        for k, v in values.items()
    }
