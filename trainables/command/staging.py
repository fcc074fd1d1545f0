"""What every run of a command trial needs, made once per experiment by the driver: the code
snapshot and the inputs, unpacked into one staging folder that Ray's ``runtime_env`` brings to
every node (``working_dir``). A run finds it as its worker's working directory; on the driver's
own node it may read the folder where it was made."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuner.core.snapshots import extract, snapshot_path
from tuner.core.uploads import dataset_path
from tuner.errors import RunFailed

MARKER = "tunedrive-stage.json"


@dataclass(frozen=True)
class Staging:
    command: str
    key: str  # the staging folder's content key, written in its marker
    local_dir: str  # where the driver made it
    driver_node: str
    environment_variables: dict[str, str] = field(default_factory=dict)
    stop_grace_seconds: float = 10.0
    # name -> ("path", path relative to the staging folder) or ("literal", value)
    inputs: dict[str, tuple[str, Any]] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()

    @property
    def ray_runtime_env(self) -> dict[str, Any]:
        # The runs read their files from the working directory Ray unpacked, so Ray Tune must
        # not move them to the trial folder.
        return {"working_dir": self.local_dir, "env_vars": {"RAY_CHDIR_TO_TRIAL_DIR": "0"}}


def _node_id() -> str:
    try:
        import ray

        return ray.get_runtime_context().get_node_id() if ray.is_initialized() else ""
    except Exception:
        return ""


def stage(spec: Any, settings: Any) -> Staging:
    """The command trainable's loader: unpacks the snapshot and the inputs once."""
    trial = spec.trial
    described = {
        "code": trial.code,
        "inputs": {
            name: value.model_dump() if hasattr(value, "model_dump") else value
            for name, value in spec.inputs.items()
        },
    }
    key = hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:32]
    folder = Path(settings.resolved_storage_path) / "_staging" / key
    inputs: dict[str, tuple[str, Any]] = {}
    for name, value in spec.inputs.items():
        if not hasattr(value, "type"):
            inputs[name] = ("literal", value)
        elif value.dataset is not None:
            inputs[name] = ("path", f"inputs/{name}/{value.dataset}.csv")
        else:
            inside = value.path or "."
            inputs[name] = ("path", os.path.normpath(f"inputs/{name}/{inside}"))
    if not (folder / MARKER).is_file():
        _build(folder, key, spec, settings)
    return Staging(
        command=trial.command,
        key=key,
        local_dir=str(folder),
        driver_node=_node_id(),
        environment_variables=dict(trial.environment_variables),
        stop_grace_seconds=trial.stop_grace_seconds,
        inputs=inputs,
        outputs=tuple(spec.outputs),
    )


def _build(folder: Path, key: str, spec: Any, settings: Any) -> None:
    partial = folder.with_name(folder.name + ".part")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    if spec.trial.code:
        extract(snapshot_path(settings, spec.trial.code), partial / "code")
    for name, value in spec.inputs.items():
        if not hasattr(value, "type"):
            continue
        target = partial / "inputs" / name
        if value.dataset is not None:
            target.mkdir(parents=True)
            shutil.copyfile(dataset_path(settings, value.dataset), target / f"{value.dataset}.csv")
        else:
            extract(snapshot_path(settings, value.code), target)
    (partial / MARKER).write_text(json.dumps({"key": key}))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(partial, folder)


def _marked(folder: Path, key: str) -> bool:
    try:
        return json.loads((folder / MARKER).read_text()).get("key") == key
    except (OSError, ValueError):
        return False


def stage_root(staging: Staging) -> Path:
    """The staging folder on this node: Ray's copy (this worker's working directory), else
    the driver's own folder when this is the driver's node."""
    here = Path.cwd()
    if _marked(here, staging.key):
        return here
    if _node_id() in ("", staging.driver_node) and _marked(Path(staging.local_dir), staging.key):
        return Path(staging.local_dir)
    raise RunFailed(
        "the code snapshot did not reach this node: its worker started without the "
        "experiment's runtime_env (a driver that joined a Ray session it did not start)"
    )
