"""The embedded service's local Ray head stops by itself once no server or driver uses it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tuner.service.local_ray import LocalRay, process_alive


def test_a_head_no_process_uses_any_more_stops_by_itself(tmp_path: Path) -> None:
    local_ray = LocalRay(tmp_path, idle_seconds=3.0)
    user = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        local_ray.use(user.pid)  # a server (or a driver) that uses the head
        local_ray.address()  # starts the head, and its reaper beside it
        head_pid = int(json.loads(local_ray.state_file.read_text())["pid"])
        time.sleep(6)  # past the reaper's idle limit: a user alive keeps the head
        assert local_ray.running() is not None
        user.kill()  # the last user dies without stopping anything (kill -9)
        user.wait()
        deadline = time.monotonic() + 60
        while local_ray.running() is not None or _alive(head_pid):
            assert time.monotonic() < deadline, "the head outlived every user"
            time.sleep(0.5)
        assert not local_ray.state_file.exists()
    finally:
        user.kill()
        local_ray.stop()


def _alive(pid: int) -> bool:
    """Running, not a zombie (this test process started the head, so it is its parent)."""
    if not process_alive(pid):
        return False
    try:
        return "\tZ" not in Path(f"/proc/{pid}/status").read_text().split("State:")[1][:4]
    except (OSError, IndexError):
        return False
