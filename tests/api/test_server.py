"""A real `tunedrive serve` process on loopback, with its dispatcher and a real driver."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(home: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TUNEDRIVE_HOME": str(home),
        "TUNEDRIVE_PLUGINS": "tests.tuner.toy",
        "PYTHONPATH": str(ROOT),
        "TUNEDRIVE_CANCEL_POLL_SECONDS": "0.5",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tuner.cli", "serve", "--port", str(port), *extra],
        cwd=ROOT,
        env=env,
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
            time.sleep(0.3)
    raise AssertionError("server did not come up")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = serve(tmp_path / "home", port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_submit_runs_to_completion_through_the_dispatcher(server: str) -> None:
    spec = {
        "name": "served",
        "trainable": "toy_curve",
        "fixed": {"epochs": 3, "sleep": 0.05},
        "search_space": {"x": {"choice": [0.2, 0.8]}},
        "sampling": {"method": "grid"},
        "primary_metric": {"name": "score", "goal": "maximize"},
        "budget": {"max_total_runs": 2, "max_concurrent_runs": 2},
    }
    experiment = httpx.post(f"{server}/api/experiments", json=spec).json()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        current = httpx.get(f"{server}/api/experiments/{experiment['id']}").json()
        if current["status"] not in ("queued", "running"):
            break
        time.sleep(0.5)
    assert current["status"] == "completed", current["stop_reason"]
    assert current["run_counts"]["completed"] == 2
    assert current["best_run"]["params"] == {"x": 0.8}
    runs = httpx.get(
        f"{server}/api/experiments/{experiment['id']}/runs", params={"sort": "metric"}
    ).json()
    run_id = runs["items"][0]["id"]
    assert len(httpx.get(f"{server}/api/runs/{run_id}/metrics").json()["steps"]) == 3
    names = {a["name"] for a in httpx.get(f"{server}/api/runs/{run_id}/artifacts").json()}
    assert names == {"model.txt"}


def test_refuses_other_interfaces_without_a_token(tmp_path: Path) -> None:
    process = serve(tmp_path, free_port(), "--host", "0.0.0.0")
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 2 and b"TUNEDRIVE_API_TOKENS" in out
