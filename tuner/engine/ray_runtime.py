"""The Ray a driver runs on (started or joined, Ray Tune's settings), and how a driver reads
what came out of ``Tuner.fit``: Ray Tune re-raises what a callback raised, often wrapped."""

from __future__ import annotations

import logging
import os
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from tuner.core.settings import Settings
from tuner.errors import TunedriveError
from tuner.store.faults import is_transient

RAY_TUNE_ENVIRONMENT = {
    # Trials still running when an experiment is canceled are killed after this many seconds.
    "TUNE_FORCE_TRIAL_CLEANUP_S": "2",
    "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1",  # the store is the record
    "RAY_AIR_NEW_OUTPUT": "0",
    # Ray Tune's experiment checkpoint (what a restarted driver resumes from) every 2 s at most.
    "TUNE_GLOBAL_CHECKPOINT_S": "2",
}


def configure_ray_tune() -> None:
    """Ray Tune reads these when a run starts; set here, not at import, and never over a
    value the user gave."""
    for name, value in RAY_TUNE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def init_ray(settings: Settings, runtime_env: dict[str, Any] | None = None) -> None:
    """Starts or joins Ray. ``runtime_env`` (a trainable's, e.g. its code snapshot) reaches
    every node that runs this driver's runs; a Ray this process had already joined keeps the
    one it had, and such a trainable finds its files on the driver's own node instead."""
    import ray

    configure_ray_tune()
    if ray.is_initialized():
        return
    if runtime_env:
        # Ray leaves out what a .gitignore in the folder names; a snapshot is sent whole.
        os.environ["RAY_RUNTIME_ENV_IGNORE_GITIGNORE"] = "1"
    ray.init(
        runtime_env=runtime_env,
        # "local": a Ray of this process's own, never a cluster that `ray start` left on the
        # machine (which a bare ray.init() would join).
        address=settings.ray_address or "local",
        include_dashboard=False,
        logging_level=logging.WARNING,
        log_to_driver=os.environ.get("TUNEDRIVE_WORKER_LOGS", "0") == "1",
        configure_logging=True,
    )


def shutdown_ray() -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()


def store_was_away(err: BaseException) -> bool:
    """A transient store error anywhere along the cause chain (an outage, not a bug)."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, SQLAlchemyError) and is_transient(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def tunedrive_cause(err: BaseException) -> BaseException:
    """The first of tunedrive's own errors along the cause chain (else ``err``)."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, TunedriveError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return err
