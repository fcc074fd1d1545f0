"""What a command trial's process sees: its arguments, a clean environment (none of the
service's secrets), its resources, and where to report."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trainables.command.placeholders import render
from tuner.client.report import METRICS_FILE, STOP_FILE

# From the worker's environment, only these reach the script: never the service's database
# URL or API tokens.
PASSED_THROUGH = ("HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "USER", "LOGNAME", "TMPDIR")
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
PARAM_PREFIX = "TUNEDRIVE_PARAM_"


def gpu_ids() -> list[str]:
    """The GPUs Ray gave this run (none outside a Ray worker)."""
    try:
        import ray

        return [str(g) for g in ray.get_gpu_ids()] if ray.is_initialized() else []
    except Exception:
        return []


def run_environment(
    *,
    run_dir: Path,
    run_id: str,
    params: Mapping[str, Any],
    variables: Mapping[str, str],
    cpus: float,
    gpus: list[str],
) -> dict[str, str]:
    """The environment of one run's process."""
    python_bin = str(Path(sys.executable).parent)
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env["PATH"] = os.pathsep.join([python_bin, os.environ.get("PATH", "/usr/bin:/bin")])
    env["PYTHONUNBUFFERED"] = "1"  # reports on stdout arrive as they are printed
    threads = str(max(1, int(cpus)))
    env.update({name: threads for name in THREAD_VARIABLES})
    env["CUDA_VISIBLE_DEVICES"] = ",".join(gpus)
    env.update(variables)
    env.update(
        {
            METRICS_FILE: str(run_dir / "metrics.jsonl"),
            STOP_FILE: str(run_dir / ".stop"),
            "TUNEDRIVE_RUN_DIR": str(run_dir),
            "TUNEDRIVE_RUN_ID": run_id,
            "TUNEDRIVE_PARAMS_FILE": str(run_dir / "params.json"),
        }
    )
    for name, value in params.items():
        env[PARAM_PREFIX + name] = render(value)
    return env
