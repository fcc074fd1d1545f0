"""`resources.gpu` reaches Ray as GPUs per run (marked `cluster`). Ray's GPUs are logical, so a
head started with --num-gpus=2 on a machine without one shows the assignment and isolation
(CUDA_VISIBLE_DEVICES per run). On a GPU machine the forecasters' `device` final metric names
the GPU TensorFlow trained on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.api.live import ROOT
from tests.raycluster import ray_cluster
from tests.tuner.toy import grid_spec
from tuner.store import Store

pytestmark = pytest.mark.cluster


def test_each_run_gets_its_own_gpu(tmp_path: Path) -> None:
    # Long enough that the two runs overlap: Ray gives a GPU back, so runs one after the other
    # may rightly get the same one.
    spec = grid_spec("gpus", fixed={"epochs": 3, "sleep": 1.5}, resources={"cpu": 1, "gpu": 1})
    spec_file = tmp_path / "gpus.yaml"
    spec_file.write_text(yaml.safe_dump(spec))
    home = tmp_path / "home"
    with ray_cluster(head_cpus=2, head_gpus=2) as cluster:
        env = {**cluster.env, "TUNEDRIVE_RAY_ADDRESS": cluster.address, "TUNEDRIVE_HOME": str(home)}
        done = subprocess.run(
            [sys.executable, "-m", "tuner.cli", "run", str(spec_file), "--quiet"],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    store = Store.open(f"sqlite:///{home / 'tunedrive.db'}")
    [experiment] = store.list_experiments()
    runs = store.list_runs(experiment.id)
    store.close()
    finals = [r.final_metrics for r in runs]
    assert max(r.started_at for r in runs) < min(r.finished_at for r in runs)  # side by side
    assigned = [f["gpu_ids"] for f in finals]
    assert sorted(assigned) == [["0"], ["1"]]  # one GPU each, not the same one
    assert [f["cuda_visible_devices"] for f in finals] == [ids[0] for ids in assigned]
