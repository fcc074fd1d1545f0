"""Stops an embedded service's local Ray head once no process uses it any more.

Started beside the head (``python -m tuner.service.ray_reaper HOME [IDLE_SECONDS]``, in its
own session), it looks every few seconds at the processes noted as the head's users (the
server, each driver) and stops the head when none has been alive for ``IDLE_SECONDS``
(:attr:`LocalRay.idle_seconds`); it ends with the head.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from tuner.service.local_ray import LocalRay

log = logging.getLogger("tunedrive.ray_reaper")
POLL_SECONDS = 2.0
IDLE_SECONDS = LocalRay.idle_seconds


def reap(
    home: Path, poll_seconds: float = POLL_SECONDS, idle_seconds: float = IDLE_SECONDS
) -> None:
    local_ray = LocalRay(home)
    idle_since: float | None = None
    while local_ray.running() is not None:
        if local_ray.users_alive():
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since >= idle_seconds:
            log.warning("no server or driver uses the local Ray head any more; stopping it")
            local_ray.stop()
            return
        time.sleep(poll_seconds)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    reap(Path(sys.argv[1]), idle_seconds=float(sys.argv[2]) if len(sys.argv) > 2 else IDLE_SECONDS)
