"""What ends a driver's experiment early (a cancel, the duration, no node for a first run), and
the heartbeat that tells dispatchers the driver is alive."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from tuner.engine.store_link import StoreLink
from tuner.errors import LeaseLost
from tuner.store import Store
from tuner.store.faults import is_transient

log = logging.getLogger("tunedrive.driver")


def make_stopper(
    link: StoreLink,
    deadline: float | None,
    poll_seconds: float,
    first_run_by: float,
) -> Any:
    from ray.tune import Stopper

    class ExperimentStopper(Stopper):
        """Ends the whole experiment on a cancel request (polled), at the duration limit, or
        when no run could start by ``first_run_by`` (no node has the resources a run needs)."""

        def __init__(self) -> None:
            self.reason: str | None = None  # "canceled" | "max_duration" | "no_resources"
            self._last_poll = 0.0
            self._run_seen = False

        def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
            return False

        def stop_all(self) -> bool:
            if self.reason:
                return True
            if deadline is not None and time.time() >= deadline:
                self.reason = "max_duration"
            elif time.monotonic() - self._last_poll >= poll_seconds:
                self._last_poll = time.monotonic()
                try:
                    self._poll()
                except SQLAlchemyError as error:
                    if not is_transient(error):
                        raise
                    # The store is away for now: runs go on, the next poll asks again (writes
                    # have their own bounded retries and journal).
                    log.warning("experiment %s: cancel poll failed (%s)", link.experiment_id, error)
            return self.reason is not None

        def _poll(self) -> None:
            if link.store.cancel_requested(link.experiment_id):
                self.reason = "canceled"
            elif not self._run_seen:
                counts = link.store.get_experiment(link.experiment_id).run_counts
                # Queued runs hold a number only: none of them has started yet.
                self._run_seen = sum(counts.values()) - counts.get("queued", 0) > 0
                if not self._run_seen and time.time() >= first_run_by:
                    self.reason = "no_resources"

    return ExperimentStopper()


HEARTBEAT_SECONDS = 2.0


def heartbeat(
    store: Store,
    experiment_id: str,
    generation: int,
    done: threading.Event,
    broken: threading.Event | None = None,
) -> None:
    """Tells dispatchers this driver is alive, from start to finish (Ray start-up included);
    stops when the lease was taken over, or once the driver's writes gave up (``broken``): a
    driver that cannot write must let its lease expire."""
    while not done.wait(HEARTBEAT_SECONDS):
        if broken is not None and broken.is_set():
            log.warning("experiment %s: writes gave up; heartbeat stops", experiment_id)
            return
        try:
            store.heartbeat(experiment_id, generation)
        except LeaseLost:
            log.warning(
                "experiment %s: lease %d taken over; heartbeat stops", experiment_id, generation
            )
            return
        except Exception:
            log.warning("heartbeat for %s failed", experiment_id, exc_info=True)
