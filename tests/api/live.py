"""Real `tunedrive serve` processes on loopback for the API tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tuner.service.local_ray import LocalRay, free_port

ROOT = Path(__file__).resolve().parents[2]


def serve(
    home: Path, port: int, *extra: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "TUNEDRIVE_HOME": str(home),
        "TUNEDRIVE_PLUGINS": "tests.tuner.toy",
        "PYTHONPATH": str(ROOT),
        "TUNEDRIVE_CANCEL_POLL_SECONDS": "0.5",
        **(env or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tuner.cli", "serve", "--port", str(port), *extra],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("server did not come up")


class LiveServer:
    """A started server: its base URL, and its output once stopped (to check what it logged)."""

    def __init__(self, url: str, process: subprocess.Popen[bytes]) -> None:
        self.url = url
        self.process = process
        self.output = ""


@contextmanager
def live_server(home: Path, *extra: str, env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    port = free_port()
    process = serve(home, port, *extra, env=env)
    server = LiveServer(f"http://127.0.0.1:{port}", process)
    try:
        wait_until_up(server.url, process)
        yield server
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
        server.output = out.decode(errors="replace")
        stop_local_ray(home)


def stop_local_ray(home: Path) -> None:
    """A server leaves its local Ray to drivers still running; a test ends them all."""
    LocalRay(home).stop()


def wait_for_end(url: str, experiment_id: str, timeout: float = 300) -> dict[str, Any]:
    """Polls the experiment until it has ended; returns its last JSON."""
    deadline = time.monotonic() + timeout
    while (current := httpx.get(f"{url}/api/experiments/{experiment_id}").json())["status"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, f"experiment {experiment_id} did not end: {current}"
        time.sleep(0.5)
    return current
