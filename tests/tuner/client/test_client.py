"""The SDK and the service commands of the CLI against a real `tunedrive serve` on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.api.live import ROOT, LiveServer, free_port, live_server
from tests.tuner.toy import grid_spec
from tuner.client import Client
from tuner.core.uploads import MIXED_SIGNS
from tuner.errors import AuthError, ConflictError, NotFoundError, ServiceError, SpecError

SPEC = grid_spec("sdk-test")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("sdk") / "home") as live:
        yield live


def cli(server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TUNEDRIVE_URL": server.url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "tuner.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_from_submit_wait_to_best_and_artifact(server: LiveServer, tmp_path: Path) -> None:
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(yaml.safe_dump(SPEC))
    submitted = cli(server, "submit", str(spec_file), "--wait", "--json")
    assert submitted.returncode == 0, submitted.stderr
    experiment = json.loads(submitted.stdout)
    assert experiment["status"] == "completed" and experiment["run_counts"]["completed"] == 2
    best = cli(server, "best", experiment["id"], "--json")
    assert best.returncode == 0 and json.loads(best.stdout)["params"] == {"x": 0.8}
    run_id = json.loads(best.stdout)["id"]
    listed = cli(server, "artifact", "list", run_id, "--json")
    assert [a["name"] for a in json.loads(listed.stdout)] == ["model.txt"]
    saved = cli(server, "artifact", "download", run_id, "model.txt", "--out", str(tmp_path))
    assert saved.returncode == 0, saved.stderr
    assert (tmp_path / "model.txt").read_text() == "quality=0.8\n"
    top = cli(server, "runs", experiment["id"], "--top", "1", "--json")
    assert [r["id"] for r in json.loads(top.stdout)] == [run_id]
    status = cli(server, "status", experiment["id"])
    assert "2/2 runs finished" in status.stdout and "best score" in status.stdout
    again = cli(server, "cancel", experiment["id"])  # already completed: a state conflict
    assert again.returncode == 1 and "already completed" in again.stderr


def test_cli_refused_spec_and_unknown_id_exit_2(server: LiveServer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**SPEC, "search_space": {"x": {"choice": []}}}))
    refused = cli(server, "submit", str(bad))
    assert refused.returncode == 2
    assert "search_space.x.choice" in refused.stderr and "non-empty" in refused.stderr
    unknown = cli(server, "status", "no-such-id")
    assert unknown.returncode == 2 and "no experiment with id 'no-such-id'" in unknown.stderr
    missing = cli(server, "submit", str(tmp_path / "absent.yaml"))
    assert missing.returncode == 2 and "absent.yaml" in missing.stderr


def test_cli_watch_in_a_pipe_prints_progress_lines(server: LiveServer) -> None:
    client = Client(server.url)
    slow = {**SPEC, "name": "watched", "fixed": {"epochs": 4, "sleep": 0.3}}
    experiment = client.submit(slow)
    watched = cli(server, "watch", experiment.id, "--interval", "0.3")
    assert watched.returncode == 0, watched.stderr
    lines = watched.stdout.splitlines()
    assert any("runs finished" in line for line in lines)
    assert lines[0].startswith(("queued", "running")) and "completed" in watched.stderr
    assert "\x1b[" not in watched.stdout  # no terminal codes in a pipe
    assert "watched" in watched.stdout  # the final runs table


def test_sdk_typed_results_and_errors(server: LiveServer, tmp_path: Path) -> None:
    with Client(server.url) as client:
        experiment = client.submit(SPEC)
        assert experiment.status == "queued" and experiment.max_total_runs == 2
        done = client.wait(experiment.id, timeout=120, poll_seconds=0.3)
        assert done.finished and done.best_run is not None and done.best_run.params == {"x": 0.8}
        runs = client.runs(experiment.id)
        assert [r.number for r in runs] == [1, 2] and all(r.node for r in runs)
        learned = client.importance(experiment.id)  # two runs: too few, and it says so
        assert learned.importance == {} and "needs 3 runs" in learned.note
        metrics = client.metrics(done.best_run.id)
        assert metrics.steps == [1, 2, 3] and len(metrics.series["score"]) == 3
        assert experiment.id in {e.id for e in client.experiments(status="completed")}
        with pytest.raises(NotFoundError, match="nope"):
            client.experiment("nope")
        with pytest.raises(ConflictError):
            client.cancel(experiment.id)
        with pytest.raises(SpecError) as refused:
            client.submit({**SPEC, "budget": {"max_total_runs": 0}})
        assert refused.value.problems[0].field.startswith("budget.max_total_runs")
        csv = tmp_path / "load.csv"
        rows = "".join(
            f"2020-01-{1 + h // 24:02d} {h % 24:02d}:00,{h},x\n" for h in range(72) if h != 30
        )
        csv.write_text("timestamp,load,site\n" + rows)
        dataset = client.upload_dataset(csv, columns=["load"], fill_gaps=1)
        assert dataset.name == "load" and dataset.rows == 72 and dataset.filled_rows == 1
        assert dataset.columns == ["load"] and dataset.column_signs == {"load": MIXED_SIGNS}
        assert dataset.id in {d.id for d in client.datasets()}


def test_sdk_token_and_unreachable_errors(tmp_path: Path) -> None:
    with live_server(tmp_path / "home", "--no-dispatch", env={"TUNEDRIVE_API_TOKENS": "t0k"}) as s:
        with pytest.raises(AuthError, match="TUNEDRIVE_TOKEN"):
            Client(s.url, token="").experiments()
        assert Client(s.url, token="t0k").experiments() == []
        assert "t0k" not in repr(Client(s.url, token="t0k"))
    began = time.monotonic()
    with pytest.raises(ServiceError, match="cannot reach"):
        Client(f"http://127.0.0.1:{free_port()}").experiments()  # retried, then refused
    assert time.monotonic() - began >= 3  # three retries with backoff: 0.5 + 1 + 2 s


def test_importing_the_client_stays_light() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); import tuner.client; "
        "print(time.perf_counter() - t); "
        "heavy = {'ray', 'tensorflow', 'sqlalchemy'}; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[1] == "[]", out
    assert float(out[0]) < 0.5, out


@pytest.mark.skipif(
    not os.environ.get("TUNEDRIVE_DATA_DIR"), reason="needs GEFCom2014 in TUNEDRIVE_DATA_DIR"
)
def test_readme_notebook_example_runs_as_written(server: LiveServer) -> None:
    """Exactly the README's lines, from the repository root, training real FFN runs."""
    readme = (ROOT / "README.md").read_text()
    example = readme.split("<!-- notebook-example -->")[1].split("```python")[1].split("```")[0]
    assert len([line for line in example.splitlines() if line.strip()]) == 5
    env = {**os.environ, "TUNEDRIVE_URL": server.url}
    done = subprocess.run(
        [sys.executable, "-c", example],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("completed"), done.stdout


def test_cli_submits_a_command_trial_then_tails_and_follows_its_logs(
    server: LiveServer, tmp_path: Path
) -> None:
    """`tunedrive submit` packs the code folder beside the spec; `tunedrive logs` tails and
    follows; `tunedrive trainables` lists the command trainable beside the built-ins."""
    from tests.trainables.command.scripts import code_folder

    code_folder(tmp_path)
    spec = {
        "name": "cli-command",
        "trial": {"command": "python train.py --lr ${{search_space.lr}}", "code": "src"},
        "search_space": {"lr": {"choice": [0.25]}},
        "primary_metric": {"name": "loss", "goal": "minimize"},
        "budget": {"max_total_runs": 1},
    }
    spec_file = tmp_path / "command.yaml"
    spec_file.write_text(yaml.safe_dump(spec))
    submitted = cli(server, "submit", str(spec_file), "--wait", "--json")
    assert submitted.returncode == 0, submitted.stderr
    experiment = json.loads(submitted.stdout)
    run_id = json.loads(cli(server, "best", experiment["id"], "--json").stdout)["id"]
    tail = cli(server, "logs", run_id, "--stream", "stderr", "--tail", "5")
    assert tail.returncode == 0 and 'label: null' in tail.stdout
    followed = cli(server, "logs", run_id, "--stream", "stdout", "--follow")
    assert followed.returncode == 0 and '##tunedrive[report] {"loss": 0.75}' in followed.stdout
    listed = json.loads(cli(server, "trainables", "--json").stdout)
    assert {"command", "ffn", "toy_curve"} <= {t["name"] for t in listed}
