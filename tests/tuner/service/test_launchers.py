"""Drivers submitted through Ray's job API to a real Ray head on loopback (marked `cluster`)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.api.live import live_server, wait_for_end
from tests.raycluster import ray_cluster
from tests.tuner.toy import grid_spec

pytestmark = pytest.mark.cluster

SPEC = grid_spec("as-ray-jobs", (0.2, 0.5, 0.8))


def test_drivers_run_as_ray_jobs_without_the_database_secret(tmp_path: Path) -> None:
    from ray.job_submission import JobSubmissionClient

    home = tmp_path / "home"
    database_url = f"sqlite:///{home / 'tunedrive.db'}"
    node_env = {"TUNEDRIVE_DATABASE_URL": database_url, "TUNEDRIVE_HOME": str(tmp_path / "node")}
    with ray_cluster(head_cpus=2, extra_env=node_env) as cluster:
        env = {**cluster.env, "TUNEDRIVE_RAY_JOB_ADDRESS": cluster.dashboard}
        env.pop("TUNEDRIVE_HOME")
        with live_server(home, env=env) as server:
            experiment = httpx.post(f"{server.url}/api/experiments", json=SPEC).json()
            done = wait_for_end(server.url, experiment["id"])
            assert done["status"] == "completed", done["stop_reason"]
            assert done["run_counts"]["completed"] == 3
            runs = httpx.get(f"{server.url}/api/experiments/{experiment['id']}/runs").json()
            nodes = {r["node"].split("/")[1] for r in runs["items"]}
            assert len(nodes) == 1 and len(next(iter(nodes))) == 12  # the head, by Ray node id
        # The driver really was a Ray job, and the job record holds no database URL.
        token = Path(cluster.env["RAY_AUTH_TOKEN_PATH"]).read_text()
        jobs = JobSubmissionClient(cluster.dashboard, headers={"Authorization": f"Bearer {token}"})
        ours = [
            j for j in jobs.list_jobs() if (j.metadata or {}).get("experiment_id") == done["id"]
        ]
        assert len(ours) == 1 and "sqlite" not in str(ours[0].runtime_env)
        deadline = time.monotonic() + 60  # the driver ends its job right after the experiment
        while not jobs.get_job_status(ours[0].submission_id).is_terminal():
            assert time.monotonic() < deadline
            time.sleep(0.5)
        assert jobs.get_job_info(ours[0].submission_id).driver_exit_code == 0
