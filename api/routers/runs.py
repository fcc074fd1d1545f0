"""/api/runs: one run, its per-epoch metrics, its artifacts."""

from __future__ import annotations

import os
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response
from fastapi.responses import FileResponse

from api.blocking import off_loop
from api.deps import SettingsDep, StoreDep
from api.responses import json_response, metric_series
from tuner.client.schemas import Artifact, Error, Metrics, Run
from tuner.client.series import SeriesResults
from tuner.core.results import SERIES_RESULTS, read_series_results
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


def run_folder(run_id: str, store: Store, settings: Settings) -> Path:
    run = store.get_run(run_id)
    if not run.artifact_dir:
        raise NotFoundError(f"run {run_id} has no artifacts yet")
    return settings.resolved_storage_path / run.experiment_id / run.artifact_dir


@router.get("/{run_id}/series", response_model=SeriesResults, responses=_ERRORS)
async def get_series(run_id: str, store: StoreDep, settings: SettingsDep) -> SeriesResults:
    """A panel run's figures per series, best skill first."""
    return await off_loop(_series, run_id, store, settings)


def _series(run_id: str, store: Store, settings: Settings) -> SeriesResults:
    path = run_folder(run_id, store, settings) / SERIES_RESULTS
    if not path.is_file():
        raise NotFoundError(
            f"run {run_id} has no per-series results: its data set is not a panel, or the run "
            "has not finished"
        )
    rows = read_series_results(path)
    return SeriesResults(run_id=run_id, count=len(rows), items=rows)


@router.get("/{run_id}/artifacts", response_model=list[Artifact], responses=_ERRORS)
async def list_artifacts(run_id: str, store: StoreDep, settings: SettingsDep) -> list[Artifact]:
    return await off_loop(_artifacts, run_id, store, settings)


def _artifacts(run_id: str, store: Store, settings: Settings) -> list[Artifact]:
    folder = run_folder(run_id, store, settings)
    return [Artifact(name=name, size=path.stat().st_size) for name, path in run_files(folder)]


@router.get(
    "/{run_id}/archive",
    response_class=FileResponse,
    responses={**_ERRORS, 200: {"content": {"application/gzip": {}}}},
)
async def download_archive(
    run_id: str, store: StoreDep, settings: SettingsDep, background: BackgroundTasks
) -> FileResponse:
    """The run's whole folder (models, members of a trial group, forecasts) as one tar.gz."""
    archive = await off_loop(_archive, run_id, store, settings)
    background.add_task(archive.unlink, missing_ok=True)
    return FileResponse(archive, filename=f"run-{run_id}.tar.gz", media_type="application/gzip")


def _archive(run_id: str, store: Store, settings: Settings) -> Path:
    folder = run_folder(run_id, store, settings)
    handle, name = tempfile.mkstemp(prefix="run-", suffix=".tar.gz")
    os.close(handle)
    with tarfile.open(name, "w:gz") as archive:
        for relative, path in run_files(folder):
            archive.add(path, arcname=relative, recursive=False)
    return Path(name)


@router.get(
    "/{run_id}/artifacts/{name:path}",
    response_class=FileResponse,
    responses={**_ERRORS, 200: {"content": {"application/octet-stream": {}}}},
)
def download_artifact(
    run_id: str, name: str, store: StoreDep, settings: SettingsDep
) -> FileResponse:
    path = artifact_file(run_folder(run_id, store, settings), name)
    if path is None:
        raise NotFoundError(
            f"run {run_id} has no artifact named {name!r} (GET /api/runs/{run_id}/artifacts "
            "lists them)"
        )
    return FileResponse(path, filename=PurePosixPath(name).name)


def run_files(folder: Path) -> list[tuple[str, Path]]:
    """Every plain, visible file inside the run's folder, at any depth, by its relative POSIX
    path; links are never followed (one could point anywhere)."""
    if not folder.is_dir():
        return []
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for file in sorted(files):
            path = Path(root) / file
            if not file.startswith(".") and path.is_file() and not path.is_symlink():
                found.append((path.relative_to(folder).as_posix(), path))
    return sorted(found)


def artifact_file(folder: Path, name: str) -> Path | None:
    """The run's file at relative path ``name``, or None: only a plain, visible file inside
    the run's folder, whatever the name says ('..', an absolute path, a backslash) or a link
    along the way points to."""
    if not name or "\\" in name or name.startswith("/"):
        return None
    parts = name.split("/")
    if any(not part or part.startswith(".") for part in parts):
        return None  # '', '.', '..' and hidden files alike
    path = folder.joinpath(*parts)
    if path.is_symlink() or not path.is_file():
        return None
    root = folder.resolve()
    if root not in path.resolve().parents:
        return None  # a link to a folder on the way
    return path
