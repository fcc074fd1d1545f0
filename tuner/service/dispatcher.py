"""The dispatcher: claims queued experiments and runs one driver process for each.

Claims are atomic in the store (a compare-and-set on the status; ``SKIP LOCKED`` on
PostgreSQL), so two dispatchers never take the same experiment. Drivers beat a heartbeat into
the store. A driver that exits while its experiment still runs, or whose heartbeat goes stale
(also one left behind by a dispatcher that died), is started again; the new driver resumes from
Ray Tune's experiment checkpoint. Every start is counted, before the driver exists, and hands
the driver the experiment's next lease generation, which fences off every earlier driver. A
driver that dies after ``MAX_DRIVER_STARTS`` starts, at whatever stage, fails the experiment
with the reason. Drivers are local processes in their own session (stopping the dispatcher never
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
from tuner.service.local_ray import LocalRay
from tuner.store import Store

log = logging.getLogger("tunedrive.dispatcher")
MAX_DRIVER_STARTS = 3
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

    local_ray: LocalRay | None = None

    def __post_init__(self) -> None:
        self.max_drivers = self.max_drivers or self.settings.max_concurrent_experiments
        self.launcher = self.launcher or make_launcher(self.settings, self.local_ray)

    def drivers_alive(self) -> int:
        return sum(handle.poll() is None for handle in self.drivers.values())

    def step(self) -> None:
        for experiment_id, code in self._reap():
            self._restart_or_fail(experiment_id, f"driver process exited with code {code}")
        for record in self.store.claim_stale(self.claimant, self.stale_seconds):
            hung = self.drivers.pop(record.id, None)
            if hung is not None and hung.poll() is None:
                # Alive but silent past the lease: killed, then restarted like a dead one (the
                # new lease would fence it off anyway; this frees its runs' resources).
                log.warning("experiment %s: driver alive but hung; killing it", record.id)
                hung.kill()
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
        generation = self.store.start_driver(experiment_id, self.claimant)
        try:
            self.drivers[experiment_id] = self.launcher.start(experiment_id, generation)
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
        if record.driver_attempts >= MAX_DRIVER_STARTS:
            log.error(
                "experiment %s: %s; started %d times already, giving up",
                experiment_id,
                why,
                record.driver_attempts,
            )
            # Ends every run too, and revokes the lease: a driver still alive can write nothing.
            self.store.finish_experiment(
                experiment_id,
                "failed",
                f"{why}; the driver was started {record.driver_attempts} times, the limit"
                f"{self._last_words(experiment_id)}",
            )
            return
        log.warning(
            "experiment %s: %s; restarting its driver from the checkpoint", experiment_id, why
        )
        self._spawn(experiment_id)

    def _last_words(self, experiment_id: str) -> str:
        """The last line a local driver wrote, to say why it died."""
        log_file = self.settings.home_dir / f"driver-{experiment_id}.log"
        try:
            lines = [line for line in log_file.read_text(errors="replace").splitlines() if line]
        except OSError:
            return ""
        return f"; its last output: {lines[-1][-300:]}" if lines else ""

    def run(self, stop: threading.Event) -> None:
        self.settings.ensure_dirs()
        while not stop.is_set():
            try:
                self.step()
            except Exception:
                log.exception("dispatcher step failed")  # a dispatcher keeps dispatching
            stop.wait(self.poll_seconds)
