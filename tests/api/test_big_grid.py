"""A grid far larger than any budget: accepted, started in bounded memory, canceled quickly."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from tests.api.live import live_server, wait_for_end

SIDE = 2000  # three parameters of 2,000 choices: 8e9 combinations in a 40 KB spec


def driver_rss_bytes(experiment_id: str) -> int:
    found = subprocess.run(
        ["pgrep", "-f", f"tuner.engine.driver {experiment_id}"], capture_output=True, text=True
    )
    pid = found.stdout.split()[0]
    status = Path(f"/proc/{pid}/status").read_text()
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(kib) * 1024


def test_a_huge_grid_starts_in_bounded_memory_and_cancels_within_ten_seconds(
    tmp_path: Path,
) -> None:
    spec = {
        "name": "huge-grid",
        "trainable": "toy_curve",
        "fixed": {"sleep": 0.5},
        "search_space": {
            "x": {"choice": [round(0.001 * i, 3) for i in range(SIDE)]},
            "y": {"choice": [round(-0.001 * i, 3) for i in range(SIDE)]},
            "epochs": {"choice": list(range(100, 100 + SIDE))},
        },
        "sampling": {"method": "grid", "seed": 1},
        "primary_metric": {"name": "score", "goal": "maximize"},
        "budget": {"max_total_runs": 100_000, "max_concurrent_runs": 2},
    }
    with live_server(tmp_path / "home") as server:
        submitted = httpx.post(f"{server.url}/api/experiments", json=spec, timeout=30)
        assert submitted.status_code == 201, submitted.text
        experiment_id = submitted.json()["id"]
        url = f"{server.url}/api/experiments/{experiment_id}"
        deadline = time.monotonic() + 120
        while httpx.get(url).json()["run_counts"]["running"] == 0:
            assert time.monotonic() < deadline, httpx.get(url).json()
            time.sleep(0.5)
        assert driver_rss_bytes(experiment_id) < 1 << 30
        asked = time.monotonic()
        assert httpx.post(f"{url}/cancel").status_code == 202
        final = wait_for_end(server.url, experiment_id, timeout=10)
        assert time.monotonic() - asked <= 10
        assert final["status"] == "canceled" and final["run_counts"]["running"] == 0
