"""How the dispatcher starts a driver: a local process, or a job on a Ray cluster.

Both hand back a handle the dispatcher polls for an exit code. The dispatcher never needs more:
it watches drivers through their heartbeat in the store, and a new driver resumes from Ray
Tune's experiment checkpoint wherever it runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import uuid
from typing import Any, Protocol

from tuner.core.settings import Settings
from tuner.service.local_ray import LocalRay

log = logging.getLogger("tunedrive.dispatcher")


class DriverHandle(Protocol):
    def poll(self) -> int | None:
        """The driver's exit code once it has ended, else None."""
        ...

    def kill(self) -> None:
        """Ends a driver that is alive but hung (its heartbeat stopped)."""
        ...


class DriverProcess(subprocess.Popen[bytes]):
    """A local driver in its own session: killed as a whole process group."""

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)


class Launcher(Protocol):
    def start(self, experiment_id: str, generation: int) -> DriverHandle:
        """Starts a driver holding lease ``generation`` of the experiment."""
        ...


def settings_environment(settings: Settings) -> dict[str, str]:
    """The settings a driver needs to see what its dispatcher sees (the database URL included:
    a local process inherits it anyway)."""
    env = {
        "TUNEDRIVE_HOME": str(settings.home_dir),
        "TUNEDRIVE_DATA_DIR": str(settings.resolved_data_dir),
        "TUNEDRIVE_DATABASE_URL": settings.resolved_database_url,
        "TUNEDRIVE_STORAGE_PATH": str(settings.resolved_storage_path),
        "TUNEDRIVE_CANCEL_POLL_SECONDS": str(settings.cancel_poll_seconds),
    }
    if settings.ray_address:
        env["TUNEDRIVE_RAY_ADDRESS"] = settings.ray_address
    return env


class ProcessLauncher:
    """One child process per driver, in its own session so that a signal to the dispatcher's
    process group never reaches it; output goes to ``home/driver-<id>.log``."""

    def __init__(self, settings: Settings, local_ray: LocalRay | None = None) -> None:
        self.settings = settings
        self.local_ray = local_ray  # embedded: the service's one Ray, which drivers join

    def command(self, experiment_id: str, generation: int) -> list[str]:
        return [sys.executable, "-m", "tuner.engine.driver", experiment_id, str(generation)]

    def start(self, experiment_id: str, generation: int) -> DriverProcess:
        env = {**os.environ, **settings_environment(self.settings)}
        if self.local_ray is not None:  # started at the first driver, reused by every other
            env["TUNEDRIVE_RAY_ADDRESS"] = self.local_ray.address()
            env.update(self.local_ray.environment())
        with (self.settings.home_dir / f"driver-{experiment_id}.log").open("ab") as log_file:
            process = DriverProcess(
                self.command(experiment_id, generation),
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if self.local_ray is not None:
            self.local_ray.use(process.pid)  # the head outlives this driver, not longer
        return process


class RayJob:
    """A driver submitted through Ray's job API; polled through the head's dashboard."""

    def __init__(self, client: Any, job_id: str) -> None:
        self.client = client
        self.job_id = job_id

    def kill(self) -> None:
        try:
            self.client.stop_job(self.job_id)
        except Exception as error:  # the head is unreachable: the new lease fences it anyway
            log.warning("cannot stop Ray job %s: %s", self.job_id, error)

    def poll(self) -> int | None:
        try:
            info = self.client.get_job_info(self.job_id)
        except Exception as error:  # the head is unreachable for now: the heartbeat decides
            log.warning("cannot read Ray job %s: %s", self.job_id, error)
            return None
        if not info.status.is_terminal():
            return None
        if info.driver_exit_code is not None:
            return info.driver_exit_code
        return 0 if info.status.value == "SUCCEEDED" else 1


class RayJobLauncher:
    """Submits ``python -m tuner.engine.driver ID`` to a Ray cluster's job API.

    The job gets the non-secret settings only: the database URL, which may hold a password,
    comes from the cluster nodes' own environment (docker-compose sets it there), so it never
    travels through Ray's job records. Inside a job the driver joins that cluster (``auto``).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None

    @property
    def client(self) -> Any:
        # Connected on first use: a head that is not up yet must not stop `serve` from starting;
        # a failed submission sends the experiment back to the queue for the next try.
        if self._client is None:
            from ray.job_submission import JobSubmissionClient

            self._client = JobSubmissionClient(self.settings.ray_job_address)
        return self._client

    def start(self, experiment_id: str, generation: int) -> RayJob:
        env = settings_environment(self.settings)
        del env["TUNEDRIVE_DATABASE_URL"], env["TUNEDRIVE_HOME"], env["TUNEDRIVE_DATA_DIR"]
        env["TUNEDRIVE_RAY_ADDRESS"] = "auto"
        for name in ("TUNEDRIVE_PLUGINS", "TUNEDRIVE_WORKER_LOGS"):
            if name in os.environ:
                env[name] = os.environ[name]
        job_id = self.client.submit_job(
            entrypoint=f"python -m tuner.engine.driver {experiment_id} {generation}",
            submission_id=f"tunedrive-{experiment_id}-{uuid.uuid4().hex[:6]}",
            runtime_env={"env_vars": env},
            metadata={"experiment_id": experiment_id},
        )
        log.info("experiment %s: driver submitted as Ray job %s", experiment_id, job_id)
        return RayJob(self.client, job_id)


def make_launcher(settings: Settings, local_ray: LocalRay | None = None) -> Launcher:
    if settings.ray_job_address:
        return RayJobLauncher(settings)
    return ProcessLauncher(settings, local_ray if settings.ray_address is None else None)
