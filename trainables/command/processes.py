"""Stopping a command trial's process group: cooperatively, then SIGTERM, then SIGKILL, and
waiting until the operating system says no process of the group is left (forked workers
included). Linux: the group's members are read from /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

COOPERATIVE_SECONDS = 2.0  # how long report() returning False has before SIGTERM
KILL_WAIT_SECONDS = 30.0


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ')'.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def wait_empty(pgid: int, seconds: float) -> bool:
    """True once the group is empty, False if it is not within ``seconds``."""
    deadline = time.monotonic() + seconds
    while group_members(pgid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def stop_group(pgid: int, stop_file: Path | None, grace: float) -> str:
    """Stops the group in DESIGN's order and returns how it ended: ``cooperative``,
    ``sigterm`` or ``sigkill`` (``empty`` when nothing was left to stop)."""
    if not group_members(pgid):
        return "empty"
    if stop_file is not None:
        stop_file.touch()
        if wait_empty(pgid, min(COOPERATIVE_SECONDS, grace)):
            return "cooperative"
    _signal(pgid, signal.SIGTERM)
    if wait_empty(pgid, grace):
        return "sigterm"
    _signal(pgid, signal.SIGKILL)
    wait_empty(pgid, KILL_WAIT_SECONDS)
    return "sigkill"


def _signal(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)
