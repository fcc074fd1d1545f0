"""The dispatcher: claims queued experiments and runs one driver process for each.

Claims are atomic in the store (a compare-and-set on the status; ``SKIP LOCKED`` on
PostgreSQL), so two dispatchers never take the same experiment. Drivers beat a heartbeat into
the store. A driver that exits while its experiment still runs, or whose heartbeat goes stale
(also one left behind by a dispatcher that died), is started again; the new driver resumes from
Ray Tune's experiment checkpoint. After ``MAX_RESTARTS`` restarts the experiment fails with
the reason. Drivers are local processes in their own session (stopping the dispatcher never
stops them) or, with ``TUNEDRIVE_RAY_JOB_ADDRESS``, jobs on a Ray cluster (launchers.py).
"""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from dataclasses import dataclass, field

from tuner.core.settings import Settings
from tuner.service.launchers import DriverHandle, Launcher, make_launcher
from tuner.store import Store

log = logging.getLogger("tunedrive.dispatcher")
MAX_RESTARTS = 3
STALE_SECONDS = 20.0  # ten missed driver heartbeats


@dataclass
class Dispatcher:
    settings: Settings
    store: Store
    max_drivers: int = 0  # 0: settings.max_concurrent_experiments
    poll_seconds: float = 1.0
    stale_seconds: float = STALE_SECONDS
    claimant: str = field(default_factory=lambda: f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}")
    drivers: dict[str, DriverHandle] = field(default_factory=dict)
    launcher: Launcher | None = None

    def __post_init__(self) -> None:
        self.max_drivers = self.max_drivers or self.settings.max_concurrent_experiments
        self.launcher = self.launcher or make_launcher(self.settings)

    def step(self) -> None:
        for experiment_id, code in self._reap():
            self._restart_or_fail(experiment_id, f"driver process exited with code {code}")
        for record in self.store.claim_stale(self.claimant, self.stale_seconds):
            if record.id not in self.drivers:
                self._restart_or_fail(record.id, "driver heartbeat stopped")
        while len(self.drivers) < self.max_drivers:
            record = self.store.claim_queued(self.claimant)
            if record is None:
                return
            log.info("starting driver for experiment %s (%s)", record.id, record.name)
            if not self._spawn(record.id):
                return  # try again at the next step

    def _spawn(self, experiment_id: str) -> bool:
        assert self.launcher is not None
        try:
            self.drivers[experiment_id] = self.launcher.start(experiment_id)
            return True
        except Exception as error:  # e.g. a Ray head whose job agent is not up yet
            log.warning(
                "experiment %s: could not start its driver (%s); back to the queue",
                experiment_id,
                error,
            )
            self.store.release_claim(experiment_id, self.claimant)
            return False

    def _reap(self) -> list[tuple[str, int]]:
        dead = []
        for experiment_id, process in list(self.drivers.items()):
            code = process.poll()
            if code is not None:
                del self.drivers[experiment_id]
                if self.store.get_experiment(experiment_id).status in ("queued", "running"):
                    dead.append((experiment_id, code))
        return dead

    def _restart_or_fail(self, experiment_id: str, why: str) -> None:
        record = self.store.get_experiment(experiment_id)
        restarts = max(0, record.driver_attempts - 1)
        if restarts >= MAX_RESTARTS:
            log.error(
                "experiment %s: %s; restarted %d times already, giving up",
                experiment_id,
                why,
                restarts,
            )
            self.store.close_running_runs(experiment_id, "failed")
            self.store.finish_experiment(
                experiment_id,
                "failed",
                f"{why}; the driver was restarted {restarts} times, the limit",
            )
            return
        log.warning(
            "experiment %s: %s; restarting its driver from the checkpoint", experiment_id, why
        )
        self._spawn(experiment_id)

    def run(self, stop: threading.Event) -> None:
        self.settings.ensure_dirs()
        while not stop.is_set():
            try:
                self.step()
            except Exception:
                log.exception("dispatcher step failed")  # a dispatcher keeps dispatching
            stop.wait(self.poll_seconds)
