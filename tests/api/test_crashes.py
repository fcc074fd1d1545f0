"""Nothing is lost when processes die: the driver, the server with its dispatcher, a worker."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.live import free_port, serve, stop_local_ray, wait_for_end, wait_until_up
from tuner.service.local_ray import process_alive
from tuner.store import Store

SPEC: dict[str, Any] = {
    "name": "crash-test",
    "trainable": "toy_curve",
    "fixed": {"epochs": 6, "sleep": 0.4},
    "search_space": {"x": {"uniform": [0.1, 1.0]}},
    "sampling": {"method": "random", "seed": 2},
    "primary_metric": {"name": "score", "goal": "maximize"},
    "budget": {"max_total_runs": 6, "max_concurrent_runs": 2},
}


def runs_of(url: str, experiment_id: str) -> list[dict[str, Any]]:
    return httpx.get(f"{url}/api/experiments/{experiment_id}/runs").json()["items"]


def metric_values(url: str, runs: list[dict[str, Any]]) -> set[tuple[str, int, float]]:
    """Every (run, epoch, score) the service shows, read back through the API."""
    values = set()
    for run in runs:
        series = httpx.get(f"{url}/api/runs/{run['id']}/metrics").json()
        scores = series["series"].get("score", [])
        values |= {(run["id"], step, v) for step, v in zip(series["steps"], scores, strict=True)}
    return values


def stored_rows(home: Path, experiment_id: str) -> list[tuple[str, int, int, float, float]]:
    """Every metric row in the store, every attempt: (run, attempt, epoch, quality, score)."""
    store = Store.open(f"sqlite:///{home / 'tunedrive.db'}", migrate=False)
    try:
        return [
            (run.id, row.attempt, row.step, float(run.params["x"]), row.values["score"])
            for run in store.list_runs(experiment_id)
            for row in store.metric_rows(run.id)
        ]
    finally:
        store.close()


def reported(log_dir: Path) -> set[tuple[float, int, float]]:
    """(quality, epoch, score) as the trainable itself wrote them before reporting."""
    lines = (log_dir / "reports.log").read_text().splitlines()
    return {(float(q), int(e), float(s)) for q, e, s in (line.split() for line in lines)}


def wait_for(predicate: Any, timeout: float = 120, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def mid_experiment(url: str, experiment_id: str) -> list[dict[str, Any]]:
    """Waits until some runs have finished and others are part-way through."""

    def ready() -> list[dict[str, Any]] | None:
        runs = runs_of(url, experiment_id)
        done = sum(r["status"] == "completed" for r in runs)
        busy = [r for r in runs if r["status"] == "running" and r["epochs"] >= 2]
        return runs if done >= 2 and busy else None

    return wait_for(ready, what="a half-finished experiment")


def driver_pid(experiment_id: str) -> int:
    out = subprocess.run(
        ["pgrep", "-f", f"tuner.engine.driver {experiment_id}"], capture_output=True, text=True
    )
    return int(out.stdout.split()[0])


def assert_nothing_lost(scene: Scene, after: list[dict[str, Any]]) -> None:
    assert len(after) == SPEC["budget"]["max_total_runs"]  # the budget still adds up
    assert all(r["status"] == "completed" for r in after)
    by_id = {r["id"]: r for r in after}
    for run in scene.before:
        if run["status"] == "completed":  # finished runs were not run again
            assert by_id[run["id"]]["finished_at"] == run["finished_at"]
            assert by_id[run["id"]]["attempts"] == run["attempts"]
    rows = stored_rows(scene.home, scene.experiment_id)
    # Every row shown before the crash is still stored, with its value.
    kept = {(run_id, step, score) for run_id, _, step, _, score in rows}
    assert scene.values_before <= kept, scene.values_before - kept
    # Every stored row is one the trainable reported: nothing invented, nothing altered.
    trainable_said = reported(scene.log_dir)
    assert {(quality, step, score) for _, _, step, quality, score in rows} <= trainable_said
    # Every run's last attempt has every epoch, in order (its rows read back).
    for run in after:
        last = sorted(
            step
            for run_id, attempt, step, _, _ in rows
            if run_id == run["id"] and attempt == run["attempts"]
        )
        assert last == list(range(1, run["epochs"] + 1)) and run["epochs"] == 6


@dataclass
class Scene:
    """A served experiment caught half-way: some runs finished, others part-way through."""

    home: Path
    port: int
    server: subprocess.Popen[bytes]
    experiment_id: str
    before: list[dict[str, Any]]
    values_before: set[tuple[str, int, float]]
    log_dir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    port = free_port()
    server = serve(tmp_path / "home", port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, server)
        log_dir = tmp_path / "reports"
        log_dir.mkdir()
        spec = {**SPEC, "fixed": {**SPEC["fixed"], "log_dir": str(log_dir)}}
        experiment_id = httpx.post(f"{url}/api/experiments", json=spec).json()["id"]
        before = mid_experiment(url, experiment_id)
        current = Scene(
            tmp_path / "home",
            port,
            server,
            experiment_id,
            before,
            metric_values(url, before),
            log_dir,
        )
        yield current
        server = current.server  # a test may have replaced it
    finally:
        server.terminate()
        server.wait(timeout=30)
        stop_local_ray(tmp_path / "home")


def test_killed_driver_is_restarted_from_its_checkpoint(scene: Scene) -> None:
    os.kill(driver_pid(scene.experiment_id), signal.SIGKILL)
    record = wait_for_end(scene.url, scene.experiment_id)
    assert record["status"] == "completed" and record["driver_restarts"] == 1
    after = runs_of(scene.url, scene.experiment_id)
    assert_nothing_lost(scene, after)
    interrupted = {r["id"] for r in scene.before if r["status"] == "running"}
    assert all(r["attempts"] == 2 for r in after if r["id"] in interrupted)


def test_server_restart_leaves_the_experiment_unaffected(scene: Scene) -> None:
    driver = driver_pid(scene.experiment_id)
    scene.server.kill()
    scene.server.wait(timeout=30)
    scene.server = serve(scene.home, scene.port)
    wait_until_up(scene.url, scene.server)
    record = wait_for_end(scene.url, scene.experiment_id)
    assert record["status"] == "completed" and record["driver_restarts"] == 0
    assert driver_pid_gone(driver)
    after = runs_of(scene.url, scene.experiment_id)
    assert_nothing_lost(scene, after)


def driver_pid_gone(pid: int) -> bool:
    return wait_for(lambda: not process_alive(pid), timeout=30, what="the driver to exit")


def test_a_driver_killed_as_a_new_run_starts_numbers_on_without_duplicates(
    tmp_path: Path,
) -> None:
    """The driver dies just after the searcher drew a run (its number handed out by the store)
    and the scheduler checkpointed, as that run starts. The next driver never reuses a number
    or renumbers a run, and every seed follows from its stored number (DESIGN §5, §6.4)."""
    from tuner.engine.trial import run_seed

    port = free_port()
    home = tmp_path / "home"
    server = serve(home, port)
    url = f"http://127.0.0.1:{port}"
    pid_file = tmp_path / "kill-this-driver"
    try:
        wait_until_up(url, server)
        spec = {
            **SPEC,
            "fixed": {"epochs": 3, "sleep": 0.3, "kill_pid_file": str(pid_file)},
        }
        experiment_id = httpx.post(f"{url}/api/experiments", json=spec).json()["id"]
        wait_for(
            lambda: any(r["status"] == "completed" for r in runs_of(url, experiment_id)),
            what="a first finished run",
        )
        pid_file.write_text(str(driver_pid(experiment_id)))  # the next run to start kills it
        record = wait_for_end(url, experiment_id)
        assert not pid_file.exists()  # a run did kill the driver
        assert record["status"] == "completed" and record["driver_restarts"] == 1
        runs = runs_of(url, experiment_id)
        assert sorted(r["number"] for r in runs) == list(range(1, len(runs) + 1))  # none twice
        started = [r for r in runs if r["started_at"]]
        assert len(started) == 6 and all(r["status"] == "completed" for r in started)
        assert all(r["seed"] == run_seed(2, r["number"]) for r in started)
        # A number the dead driver drew for a run it never started is kept, not reused.
        for run in runs:
            if not run["started_at"]:
                assert run["status"] == "canceled" and "never started" in run["error"]
    finally:
        server.terminate()
        server.wait(timeout=30)
        stop_local_ray(home)
