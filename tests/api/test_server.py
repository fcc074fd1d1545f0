"""A real `tunedrive serve` process on loopback, with its dispatcher and a real driver."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
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


def test_experiments_submitted_together_run_side_by_side(server: str) -> None:
    # Each experiment runs one run at a time; two at once need two drivers on the one Ray.
    spec = grid_spec("side", xs=(0.3, 0.6), fixed={"epochs": 6, "sleep": 0.4})
    spec["budget"] = {"max_total_runs": 2, "max_concurrent_runs": 1}
    ids = [
        httpx.post(f"{server}/api/experiments", json={**spec, "name": f"side-{i}"}).json()["id"]
        for i in (1, 2)
    ]
    for experiment_id in ids:
        assert wait_for_end(server, experiment_id, timeout=180)["status"] == "completed"
    first, second = (httpx.get(f"{server}/api/experiments/{i}/runs").json()["items"] for i in ids)
    spans = [
        [
            (datetime.fromisoformat(r["started_at"]), datetime.fromisoformat(r["finished_at"]))
            for r in runs
        ]
        for runs in (first, second)
    ]
    assert any(
        a_start < b_end and b_start < a_end
        for a_start, a_end in spans[0]
        for b_start, b_end in spans[1]
    ), spans  # a run of each was running at the same instant, by the stored times
