"""Command trials end to end: real subprocesses on a real local Ray, recorded in SQLite."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.trainables.command.scripts import command_spec, submit_command
from trainables.command.processes import group_members
from tuner.core.settings import Settings
from tuner.engine.driver import run_experiment
from tuner.store import Store

pytestmark = pytest.mark.usefixtures("ray_session")


def only_run(store: Store, settings: Settings, root: Path, spec: dict) -> Any:
    """Submits a one-run experiment, runs it to its end here, and reads its run back."""
    record = submit_command(store, settings, root, spec)
    run_experiment(record.id, settings, store)
    (run,) = store.list_runs(record.id)
    return run


def _run_dir(settings: Settings, run: object) -> Path:
    return settings.resolved_storage_path / run.experiment_id / run.artifact_dir  # type: ignore[attr-defined]


def test_placeholders_metrics_and_outputs(store: Store, settings: Settings, tmp_path: Path) -> None:
    spec = command_spec(
        'python train.py --lr ${{search_space.lr}} --label "it\'s a b" '
        "--out ${{outputs.model}} --epochs ${{inputs.epochs}}",
        {"lr": {"choice": [0.1, 0.3]}},
        inputs={"epochs": 4},
        outputs={"model": {"type": "uri_folder"}},
        sampling={"method": "grid"},
    )
    record = submit_command(store, settings, tmp_path, spec)
    done = run_experiment(record.id, settings, store)
    assert done.status == "completed", done.stop_reason
    runs = store.list_runs(record.id)
    assert sorted(r.params["lr"] for r in runs) == [0.1, 0.3]
    for run in runs:
        assert run.status == "completed" and run.epochs == 4
        rows = store.metric_rows(run.id)
        # Epochs 1 and 3 came through report() (numpy float32), 2 and 4 on stdout.
        assert [r.step for r in rows] == [1, 2, 3, 4]
        assert rows[0].values["lr_seen"] == run.params["lr"]
        assert rows[-1].values["loss"] == pytest.approx(run.params["lr"] + 0.25)
        folder = _run_dir(settings, run)
        assert (folder / "outputs" / "model" / "model.txt").read_text() == str(run.params["lr"])
        assert json.loads((folder / "params.json").read_text()) == {"lr": run.params["lr"]}
        # One argument, quotes and spaces whole (the script echoes it as JSON).
        assert 'label: "it\'s a b"' in (folder / "stderr.log").read_text()
        command = json.loads((folder / "command.json").read_text())
        assert command["argv"][:3] == ["python", "train.py", "--lr"]
        assert command["argv"][5] == "it's a b"


def test_no_primary_metric_fails_naming_what_it_saw(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    spec = command_spec(
        "python wrong_name.py --x ${{search_space.x}}",
        {"x": {"choice": [1]}},
        primary_metric={"name": "loss", "goal": "minimize"},
        budget={"max_total_runs": 1},
    )
    run = only_run(store, settings, tmp_path, spec)
    assert run.status == "failed"
    assert "without reporting the primary metric 'loss'" in run.error
    assert "'Loss', 'accuracy'" in run.error and "did you mean 'Loss'" in run.error


def test_a_text_metric_fails_naming_it_and_its_type(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    spec = command_spec(
        "python text_metric.py ${{search_space.x}}",
        {"x": {"choice": [1]}},
        budget={"max_total_runs": 1},
    )
    run = only_run(store, settings, tmp_path, spec)
    assert run.status == "failed" and "metric 'loss' is str 'low', not a number" in run.error
    assert "learning_rate" not in run.error  # the hint is the built-in forecasters' only


def test_exit_code_and_stderr_tail_and_first_runs_failing_alike(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    spec = command_spec(
        "python crash.py ${{search_space.x}}",
        {"x": {"uniform": [0, 1]}},
        budget={"max_total_runs": 20, "max_concurrent_runs": 3},
    )
    record = submit_command(store, settings, tmp_path, spec)
    done = run_experiment(record.id, settings, store)
    runs = store.list_runs(record.id)
    assert done.status == "failed"
    assert "first 3 runs all failed within a minute" in done.stop_reason
    assert "exited with code 3" in done.stop_reason
    assert len([r for r in runs if r.started_at]) <= 6  # not the whole budget of 20
    failed = [r for r in runs if r.error and "exited with code 3" in r.error]
    assert failed and "about to fail" in failed[0].error


def test_a_signal_tunedrive_did_not_send_is_named(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    spec = command_spec(
        "python oom.py ${{search_space.x}}", {"x": {"choice": [1]}}, budget={"max_total_runs": 1}
    )
    run = only_run(store, settings, tmp_path, spec)
    assert run.status == "failed"
    assert "killed by signal SIGKILL, which tunedrive did not send (possibly out of memory)" in (
        run.error
    )


def test_asha_kills_a_script_that_ignores_sigterm_and_its_grandchild(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    spec = command_spec(
        "python stubborn.py ${{search_space.lr}} 15",
        {"lr": {"choice": [0.1, 0.9]}},
        sampling={"method": "grid"},
        early_termination={"policy": "asha", "grace_period": 1, "reduction_factor": 2, "max_t": 8},
        budget={"max_total_runs": 2, "max_concurrent_runs": 1},
    )
    record = submit_command(store, settings, tmp_path, spec)
    run_experiment(record.id, settings, store)
    stopped = [r for r in store.list_runs(record.id) if r.status == "early_terminated"]
    assert stopped, [(r.status, r.error) for r in store.list_runs(record.id)]
    for run in stopped:
        folder = _run_dir(settings, run)
        command = json.loads((folder / "command.json").read_text())
        assert command["stop"] == "sigkill" and command["stopped_by"] == "early termination"
        assert store.metric_rows(run.id)  # its reports are kept
        grandchild = int((folder / "grandchild.pid").read_text())
        assert not _alive(grandchild)  # asked of the operating system, not assumed
        assert not group_members(grandchild)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def test_cancel_ends_the_runs_within_seconds(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    spec = command_spec(
        "python sleepy.py ${{search_space.x}}",
        {"x": {"choice": [1, 2]}},
        sampling={"method": "grid"},
    )
    record = submit_command(store, settings, tmp_path, spec)
    worker = threading.Thread(target=run_experiment, args=(record.id, settings, store))
    worker.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = store.list_runs(record.id)
        if len([r for r in runs if r.epochs and r.epochs >= 2]) == 2:
            break
        time.sleep(0.2)
    store.request_cancel(record.id)
    asked = time.monotonic()
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert time.monotonic() - asked < 30
    runs = store.list_runs(record.id)
    assert {r.status for r in runs} == {"canceled"}
    assert all(store.metric_rows(r.id) for r in runs)  # what they reported is kept
    # Ray ended the runs' workers; each run's guard then stopped its script's group.
    deadline = time.monotonic() + 15
    while [p for p in _python_processes() if "sleepy.py" in p] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in _python_processes() if "sleepy.py" in p]


def _python_processes() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
    return found


def test_an_mlflow_script_runs_unchanged(store: Store, settings: Settings, tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    spec = command_spec(
        "python with_mlflow.py ${{search_space.lr}}",
        {"lr": {"choice": [0.2]}},
        primary_metric={"name": "val_loss", "goal": "minimize"},
        budget={"max_total_runs": 1},
    )
    run = only_run(store, settings, tmp_path, spec)
    assert run.status == "completed", run.error
    rows = store.metric_rows(run.id)
    assert [r.step for r in rows] == [1, 2, 3]
    assert [r.values["val_loss"] for r in rows] == pytest.approx([1.2, 0.7, 0.2 + 1 / 3])
    assert run.final_metrics["final_score"] == pytest.approx(0.8)
    assert "MLFLOW" not in os.environ.get("TUNEDRIVE_TEST_SENTINEL", "")
