"""tunedrive on a real Ray cluster (a head and a second node, separate processes on loopback)
with a real PostgreSQL: runs spread over both nodes, results land in PostgreSQL, and a node
killed mid-experiment loses nothing. Marked `cluster`; `pytest -m cluster` runs them by name."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.api.live import LiveServer, live_server, wait_for_end
from tests.postgres import postgres_bin, postgres_server
from tests.raycluster import RayCluster, ray_cluster
from tests.tuner.toy import grid_spec
from tuner.store import Store

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(postgres_bin() is None, reason="needs Debian's PostgreSQL (make test)"),
]


def spec(name: str, epochs: int, sleep: float) -> dict[str, Any]:
    return grid_spec(
        name,
        (0.1, 0.2, 0.3, 0.4, 0.5, 0.6),
        fixed={"epochs": epochs, "sleep": sleep},
        budget={"max_total_runs": 6, "max_concurrent_runs": 3},
        resources={"cpu": 1},
        max_failures=2,
    )


@dataclass
class Deployment:
    cluster: RayCluster
    server: LiveServer
    database_url: str
    worker: Any  # the second node's process
    storage: str  # the storage path every node sees


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """PostgreSQL, a Ray head with 1 CPU and a second node with 2, and `tunedrive serve` whose
    drivers join that cluster: three concurrent runs must use both nodes. Shared by this
    module's tests, in order: the node-kill test comes last."""
    tmp_path = tmp_path_factory.mktemp("cluster")
    storage = str(tmp_path / "shared-runs")  # what every node sees
    with postgres_server() as database_url:
        node_env = {"TUNEDRIVE_DATABASE_URL": database_url, "TUNEDRIVE_STORAGE_PATH": storage}
        with ray_cluster(head_cpus=1, extra_env=node_env) as cluster:
            worker = cluster.add_node(cpus=2)
            cluster.wait_for_nodes(2)
            env = {**cluster.env, "TUNEDRIVE_RAY_ADDRESS": cluster.address}
            with live_server(tmp_path / "home", env=env) as server:
                yield Deployment(cluster, server, database_url, worker, storage)


def runs_of(url: str, experiment_id: str) -> list[dict[str, Any]]:
    return httpx.get(f"{url}/api/experiments/{experiment_id}/runs").json()["items"]


def test_runs_execute_on_both_nodes_and_every_result_is_in_postgres(
    deployment: Deployment,
) -> None:
    url = deployment.server.url
    # 6 s a run: three run at once even when starting one takes seconds (a loaded machine).
    experiment = httpx.post(f"{url}/api/experiments", json=spec("spread", 6, 1.0)).json()
    done = wait_for_end(url, experiment["id"])
    assert done["status"] == "completed", done["stop_reason"]
    runs = runs_of(url, experiment["id"])
    nodes = deployment.cluster.alive_nodes()
    assert {r["node"].split("/")[1] for r in runs} == set(nodes)  # the head and the worker
    store = Store.open(deployment.database_url, migrate=False)  # straight from PostgreSQL
    stored = store.list_runs(experiment["id"])
    assert [r.status for r in stored] == ["completed"] * 6
    assert store.count_metric_rows(experiment["id"]) == 6 * 6
    assert store.get_experiment(experiment["id"]).run_counts["completed"] == 6
    store.close()


def test_a_command_trial_reaches_the_second_node_through_runtime_env(
    deployment: Deployment, tmp_path: Path
) -> None:
    """The code goes up as a snapshot; each run, on either node, runs it from the copy Ray's
    runtime_env unpacked there, never from the service's own staging folder."""
    from tests.trainables.command.scripts import code_folder
    from tuner.client import Client

    url = deployment.server.url
    code_folder(tmp_path)
    spec = {
        "name": "byo-cluster",
        "trial": {"command": "python train.py --lr ${{search_space.lr}}", "code": "./src"},
        "search_space": {"lr": {"choice": [0.1, 0.2, 0.3, 0.4]}},
        "sampling": {"method": "grid"},
        "primary_metric": {"name": "loss", "goal": "minimize"},
        "budget": {"max_total_runs": 4, "max_concurrent_runs": 3},
    }
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    with Client(url, "") as client:
        experiment = client.submit(tmp_path / "spec.yaml")  # packs ./src beside the spec
    done = wait_for_end(url, experiment.id)
    assert done["status"] == "completed", done["stop_reason"]
    runs = runs_of(url, experiment.id)
    assert {r["node"].split("/")[1] for r in runs} == set(deployment.cluster.alive_nodes())
    records = _command_records(Path(deployment.storage), experiment.id)
    assert len(records) == 4
    for record in records:
        assert "runtime_resources/working_dir_files" in record["snapshot_source"]
        assert "_staging" not in record["snapshot_source"]


def _command_records(storage: Path, experiment_id: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in (storage / experiment_id).glob("*/command.json")]


def test_a_node_killed_mid_experiment_loses_nothing(deployment: Deployment) -> None:
    url = deployment.server.url
    # Long enough that the run on the killed node cannot finish before Ray notices the death.
    epochs = 10
    experiment = httpx.post(f"{url}/api/experiments", json=spec("fault", epochs, 0.6)).json()
    worker_id = next(n for n, head in deployment.cluster.alive_nodes().items() if not head)
    deadline = time.monotonic() + 120
    while True:  # until a run on the second node is part-way through
        on_worker = [
            r
            for r in runs_of(url, experiment["id"])
            if r["status"] == "running" and worker_id in (r["node"] or "") and r["epochs"] >= 2
        ]
        if on_worker:
            break
        assert time.monotonic() < deadline
        time.sleep(0.3)
    deployment.cluster.kill(deployment.worker)
    done = wait_for_end(url, experiment["id"])
    assert done["status"] == "completed", done["stop_reason"]
    runs = {r["id"]: r for r in runs_of(url, experiment["id"])}
    assert [r["status"] for r in runs.values()] == ["completed"] * 6  # retried, not lost
    for interrupted in on_worker:
        run = runs[interrupted["id"]]
        assert run["attempts"] >= 2 and worker_id not in run["node"]  # finished on the head
    store = Store.open(deployment.database_url, migrate=False)
    for run in store.list_runs(experiment["id"]):
        rows = [m for m in store.metric_rows(run.id) if m.attempt == run.attempts]
        assert [m.step for m in rows] == list(range(1, epochs + 1)), run.id  # the whole result
    assert store.get_experiment(experiment["id"]).run_counts["completed"] == 6  # budget adds up
    store.close()
