"""The metric protocol from a real script: the metrics file, the stdout prefix, the stop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tuner.client.report import PREFIX

SCRIPT = """
import numpy as np
from tuner.client import report
print(report(loss=np.float32(0.5), epoch=np.int64(3), members=np.array([1.0, 2.0])))
"""


def _run(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_report_writes_one_json_line_with_numpy_scalars(tmp_path: Path) -> None:
    metrics = tmp_path / "metrics.jsonl"
    out = _run({"TUNEDRIVE_METRICS_FILE": str(metrics), "TUNEDRIVE_STOP_FILE": str(tmp_path / "s")})
    assert out.strip() == "True"  # go on
    assert [json.loads(line) for line in metrics.read_text().splitlines()] == [
        {"loss": 0.5, "epoch": 3, "members": [1.0, 2.0]}
    ]


def test_without_a_metrics_file_report_prints_with_the_prefix() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUNEDRIVE_")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    first, answer = done.stdout.splitlines()
    assert first.startswith(PREFIX) and json.loads(first[len(PREFIX) :])["epoch"] == 3
    assert answer == "True"


def test_report_answers_false_once_the_run_is_asked_to_stop(tmp_path: Path) -> None:
    stop = tmp_path / ".stop"
    stop.touch()
    out = _run(
        {"TUNEDRIVE_METRICS_FILE": str(tmp_path / "m.jsonl"), "TUNEDRIVE_STOP_FILE": str(stop)}
    )
    assert out.strip() == "False"
