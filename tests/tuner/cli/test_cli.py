"""`tunedrive run`, the command behind `make run`, in a fresh process: result printed, exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SPEC = """
name: cli-run
trainable: toy_curve
fixed: {epochs: 3, sleep: 0.05}
search_space: {x: {choice: [0.2, 0.9]}}
sampling: {method: grid}
primary_metric: {name: score, goal: maximize}
budget: {max_total_runs: 2, max_concurrent_runs: 2}
"""


def test_run_prints_the_best_run_and_exits_cleanly(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    env = {
        **os.environ,
        "TUNEDRIVE_HOME": str(tmp_path / "home"),
        "TUNEDRIVE_PLUGINS": "tests.tuner.toy",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tuner.cli", "run", str(spec)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "experiment completed: grid exhausted (2 combinations)" in done.stdout
    assert "best run #" in done.stdout and "'x': 0.9" in done.stdout
    assert "GCS" not in done.stderr
    # Claimed by the `run` process itself from the start: no dispatcher could take it.
    import sqlite3

    with sqlite3.connect(tmp_path / "home" / "tunedrive.db") as db:
        (claimed_by,) = db.execute("SELECT claimed_by FROM experiments").fetchone()
    assert "-run-" in claimed_by


def test_check_runs_the_submission_checks_here(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TUNEDRIVE_HOME": str(tmp_path / "home"),
        "TUNEDRIVE_PLUGINS": "tests.tuner.toy",
        "PYTHONPATH": str(ROOT),
    }
    fits, too_big = tmp_path / "fits.yaml", tmp_path / "too-big.yaml"
    fits.write_text(SPEC)
    too_big.write_text(SPEC + "resources: {cpu: 1, gpu: 4}\n")

    def check(spec: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tuner.cli", "check", str(spec)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = check(fits)
    assert ok.returncode == 0, ok.stderr
    assert "2 runs planned, up to 2 at once" in ok.stdout
    refused = check(too_big)  # parsing alone passes; the resource check of submission does not
    assert refused.returncode == 2, refused.stdout
    assert "resources.gpu" in refused.stderr


SWEEP = """
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
display_name: cli-sweep
compute: azureml:cpu-cluster
trial:
  code: src
  command: python train.py --lr ${{search_space.lr}} --out ${{outputs.model}}
  environment: azureml:AzureML-sklearn-1.0@latest
outputs:
  model: {type: uri_folder}
search_space:
  lr: {type: choice, values: [0.1, 0.3]}
sampling_algorithm: grid
objective: {goal: minimize, primary_metric: loss}
limits: {max_total_trials: 2, max_concurrent_trials: 2, timeout: 600}
"""


def test_run_takes_an_azure_sweep_job_and_packs_its_code_folder(tmp_path: Path) -> None:
    from tests.trainables.command.scripts import code_folder

    code_folder(tmp_path)
    (tmp_path / "src" / ".tunedriveignore").write_text("crash.py\n")
    sweep = tmp_path / "sweep.yml"
    sweep.write_text(SWEEP)
    env = {**os.environ, "TUNEDRIVE_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tuner.cli", "run", str(sweep)],
        cwd=tmp_path.parent,  # the code folder is found beside the file, not in the cwd
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "compute: ignored" in done.stderr and "trial.environment" in done.stderr
    assert "experiment completed: grid exhausted (2 combinations)" in done.stdout
    assert "'lr': 0.1" in done.stdout  # the best run: the lower loss
    runs = tmp_path / "home" / "runs"
    copies = list(runs.glob("*/*/.code"))
    assert len(copies) == 2
    assert all((c / "train.py").is_file() and not (c / "crash.py").exists() for c in copies)
