"""A real `tunedrive serve` process on loopback, with its dispatcher and a real driver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.live import free_port, live_server, serve, wait_for_end
from tests.tuner.toy import grid_spec


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with live_server(tmp_path / "home") as live:
        yield live.url


def test_submit_runs_to_completion_through_the_dispatcher(server: str) -> None:
    experiment = httpx.post(f"{server}/api/experiments", json=grid_spec("served")).json()
    current = wait_for_end(server, experiment["id"], timeout=120)
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
