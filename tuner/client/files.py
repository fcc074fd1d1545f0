"""The Client's calls that move files: run artifacts (one file, or the whole run folder as
one archive) and data set uploads; and the one mapping of an error response to tunedrive's
exceptions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

import httpx

from tuner.client.schemas import Artifact, Dataset
from tuner.errors import (
    AuthError,
    ConflictError,
    FieldProblem,
    NotFoundError,
    ServiceError,
    SpecError,
    TunedriveError,
)

T = TypeVar("T")


class FileCalls:
    """Mixed into :class:`tuner.client.Client`, whose HTTP helpers these use."""

    _http: httpx.Client
    _read: Callable[..., Any]
    _send: Callable[..., httpx.Response]
    _all_pages: Callable[..., Iterator[Any]]

    def artifacts(self, run_id: str) -> list[Artifact]:
        """Every file of the run's folder, by its path inside it (``members/seed-1/…``)."""
        return [Artifact.from_json(a) for a in self._read(f"/api/runs/{run_id}/artifacts")]

    def download_artifact(self, run_id: str, name: str, dest: str | Path | None = None) -> Path:
        """Saves a run's file (``model.keras``, ``members/0/model.keras``) to ``dest`` (a folder
        or a file name; default the current folder) and returns where."""
        target = Path(dest) if dest is not None else Path.cwd()
        if target.is_dir():
            target = target / PurePosixPath(name).name
        return self._download(f"/api/runs/{run_id}/artifacts/{name}", target)

    def download_run_archive(self, run_id: str, dest: str | Path | None = None) -> Path:
        """The run's whole folder as one ``.tar.gz`` in ``dest`` (a folder or a file name)."""
        target = Path(dest) if dest is not None else Path.cwd()
        if target.is_dir():
            target = target / f"run-{run_id}.tar.gz"
        return self._download(f"/api/runs/{run_id}/archive", target)

    def _download(self, path: str, target: Path) -> Path:
        partial = target.with_name(target.name + ".partial")
        with self._http.stream("GET", path) as response:
            if response.status_code >= 400:
                response.read()
                raise_for(response)
            with partial.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        partial.replace(target)  # never a half-downloaded file under the real name
        return target

    def upload_dataset(
        self,
        path: str | Path,
        name: str | None = None,
        timestamp_column: str | None = None,
        columns: list[str] | None = None,
        fill_gaps: int | None = None,
        start: datetime | None = None,
        frequency: str | None = None,
        series_column: str | None = None,
    ) -> Dataset:
        """Uploads a CSV (a timestamp column, numeric columns); use it as ``dataset: <id>``.
        ``columns`` keeps only those; ``fill_gaps`` fills gaps of up to that many steps;
        ``start`` leaves out the rows before it; ``frequency`` (a pandas alias such as MS)
        overrides the inferred one; ``series_column`` makes it a panel of many series."""
        path = Path(path)
        options = {
            "name": name or path.stem,
            "timestamp_column": timestamp_column,
            "columns": ",".join(columns) if columns else None,
            "fill_gaps": fill_gaps,
            "start": start.isoformat() if start else None,
            "frequency": frequency,
            "series_column": series_column,
        }
        response = self._send(
            "POST",
            "/api/datasets",
            params={k: v for k, v in options.items() if v is not None},
            content=path.read_bytes(),
            headers={"Content-Type": "text/csv"},
        )
        return Dataset.from_json(response.json())

    def datasets(self) -> list[Dataset]:
        return list(self._all_pages("/api/datasets", {}, Dataset.from_json, page_size=500))


def raise_for(response: httpx.Response) -> None:
    """The server's error as tunedrive's own exception, with its message and field problems."""
    if response.status_code < 400:
        return
    try:
        body = response.json()
        detail, problems = str(body.get("detail")), body.get("errors") or []
    except ValueError:
        detail, problems = response.text[:500] or response.reason_phrase, []
    error: TunedriveError
    code = response.status_code
    if code == 422:
        fields = [FieldProblem(p.get("field", ""), p.get("message", "")) for p in problems]
        error = SpecError(fields or [FieldProblem("", detail)])
    elif code == 404:
        error = NotFoundError(detail)
    elif code == 409:
        error = ConflictError(detail)
    elif code == 401:
        error = AuthError(f"{detail} (set TUNEDRIVE_TOKEN or pass token=)")
    else:
        error = ServiceError(f"HTTP {code}: {detail}")
    error.status_code = code  # type: ignore[attr-defined]
    raise error
