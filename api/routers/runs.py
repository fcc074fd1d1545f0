"""/api/runs: one run, its per-epoch metrics, its artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse

from api.blocking import off_loop
from api.deps import SettingsDep, StoreDep
from api.responses import json_response, metric_series
from tuner.client.schemas import Artifact, Error, Metrics, Run
from tuner.core.settings import Settings
from tuner.errors import NotFoundError
from tuner.store import Store

router = APIRouter(prefix="/api/runs", tags=["runs"])
_ERRORS = {404: {"model": Error}}


@router.get("/{run_id}", response_model=Run, responses=_ERRORS)
async def get_run(run_id: str, store: StoreDep) -> Run:
    return Run.model_validate(await off_loop(store.get_run, run_id))


@router.get("/{run_id}/metrics", response_model=Metrics, responses=_ERRORS)
async def get_metrics(
    run_id: str,
    store: StoreDep,
    max_points: Annotated[int | None, Query(ge=2, le=100_000)] = None,
) -> Response:
    """Per-epoch values by metric name (latest attempt); ``max_points`` thins long series."""
    return json_response(await off_loop(_metric_series, store, run_id, max_points))


def _metric_series(store: Store, run_id: str, max_points: int | None) -> Metrics:
    store.get_run(run_id)  # 404 for an unknown run
    return metric_series(run_id, store.metric_rows(run_id), max_points)


def _run_dir(run_id: str, store: StoreDep, settings: SettingsDep) -> Path:
    run = store.get_run(run_id)
    if not run.artifact_dir:
        raise NotFoundError(f"run {run_id} has no artifacts yet")
    return settings.resolved_storage_path / run.experiment_id / run.artifact_dir


@router.get("/{run_id}/artifacts", response_model=list[Artifact], responses=_ERRORS)
async def list_artifacts(run_id: str, store: StoreDep, settings: SettingsDep) -> list[Artifact]:
    return await off_loop(_artifacts, run_id, store, settings)


def _artifacts(run_id: str, store: Store, settings: Settings) -> list[Artifact]:
    folder = _run_dir(run_id, store, settings)
    if not folder.is_dir():
        return []
    return [
        Artifact(name=p.name, size=p.stat().st_size)
        for p in sorted(folder.iterdir())
        if p.is_file()
    ]


@router.get(
    "/{run_id}/artifacts/{name}",
    response_class=FileResponse,
    responses={**_ERRORS, 200: {"content": {"application/octet-stream": {}}}},
)
def download_artifact(
    run_id: str, name: str, store: StoreDep, settings: SettingsDep
) -> FileResponse:
    path = artifact_file(_run_dir(run_id, store, settings), name)
    if path is None:
        raise NotFoundError(f"run {run_id} has no artifact named {name!r}")
    return FileResponse(path, filename=name)


def artifact_file(folder: Path, name: str) -> Path | None:
    """The run's file called ``name``, or None: only a plain, visible file directly inside the
    run's folder, whatever the name says ('..', a separator) or a link inside points to."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    path = folder / name
    if not path.is_file() or path.resolve().parent != folder.resolve():
        return None
    return path
