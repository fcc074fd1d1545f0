"""The :class:`Client`: every call of the tunedrive REST API, with typed results.

Errors are tunedrive's own exceptions carrying the server's message; a refused connection is
retried with backoff.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tuner.client.progress import ProgressBar
from tuner.client.schemas import (
    Artifact,
    Dataset,
    Experiment,
    ExtendRequest,
    Importance,
    Metrics,
    Run,
)
from tuner.errors import (
    AuthError,
    ConflictError,
    FieldProblem,
    NotFoundError,
    ServiceError,
    SpecError,
    TunedriveError,
)

DEFAULT_URL = "http://127.0.0.1:8000"
CONNECT_RETRIES = 4  # httpx backs off 0, 0.5, 1, 2 s between tries
T = TypeVar("T")


class Client:
    """A tunedrive service at ``base_url`` (default ``$TUNEDRIVE_URL``, else local port 8000),
    with the bearer ``token`` it asks for (default ``$TUNEDRIVE_TOKEN``)."""

    def __init__(
        self, base_url: str | None = None, token: str | None = None, *, timeout: float = 30.0
    ) -> None:
        self.base_url = (base_url or os.environ.get("TUNEDRIVE_URL") or DEFAULT_URL).rstrip("/")
        token = token if token is not None else os.environ.get("TUNEDRIVE_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
            transport=httpx.HTTPTransport(retries=CONNECT_RETRIES),
        )

    def __repr__(self) -> str:  # never the token
        return f"Client({self.base_url!r})"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- experiments ---------------------------------------------------------------------------
    def submit(self, spec: dict[str, Any] | str | Path | Any) -> Experiment:
        """Queues an experiment: a spec dict, a YAML/JSON file path, or an ExperimentSpec."""
        if isinstance(spec, str | Path):
            path = Path(spec)
            if not path.is_file():
                raise SpecError([FieldProblem("", f"no spec file at {path}")])
            response = self._send(
                "POST",
                "/api/experiments",
                content=path.read_bytes(),
                headers={"Content-Type": "application/yaml"},  # JSON is YAML too
            )
        else:
            body = spec.to_json() if hasattr(spec, "to_json") else spec
            response = self._send("POST", "/api/experiments", json=body)
        return Experiment.from_json(response.json())

    def experiment(self, experiment_id: str) -> Experiment:
        return Experiment.from_json(self._read(f"/api/experiments/{experiment_id}"))

    def experiments(
        self, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Experiment]:
        """Newest first; ``status`` filters (queued, running, completed, failed, canceled)."""
        params = _params(status=status, limit=limit, offset=offset)
        page = self._read("/api/experiments", params)
        return [Experiment.from_json(item) for item in page["items"]]

    def cancel(self, experiment_id: str) -> Experiment:
        """Asks every run to stop; ConflictError when the experiment already ended."""
        response = self._send("POST", f"/api/experiments/{experiment_id}/cancel")
        return Experiment.from_json(response.json())

    def extend(
        self,
        experiment_id: str,
        max_total_runs: int | None = None,
        max_duration_minutes: float | None = None,
    ) -> Experiment:
        """Re-queues a finished experiment with a new total of runs and/or a new duration
        limit; it continues where it ended (ConflictError while it still runs)."""
        body = ExtendRequest(
            max_total_runs=max_total_runs, max_duration_minutes=max_duration_minutes
        ).model_dump(exclude_none=True)
        response = self._send("POST", f"/api/experiments/{experiment_id}/extend", json=body)
        return Experiment.from_json(response.json())

    def runs(
        self, experiment_id: str, top: int | None = None, status: str | None = None
    ) -> list[Run]:
        """All runs by number, or with ``top`` the best ``top`` by the primary metric."""
        path = f"/api/experiments/{experiment_id}/runs"
        if top is not None:
            page = self._read(path, _params(sort="metric", limit=top, status=status))
            return [Run.from_json(item) for item in page["items"]]
        return list(self._all_pages(path, _params(status=status), Run.from_json))

    def best_run(self, experiment_id: str) -> Run:
        """The run with the best primary-metric value; NotFoundError while none has one."""
        return Run.from_json(self._read(f"/api/experiments/{experiment_id}/best"))

    def importance(self, experiment_id: str) -> Importance:
        """How much each hyperparameter mattered (fANOVA shares, largest first)."""
        return Importance.from_json(self._read(f"/api/experiments/{experiment_id}/importance"))

    def wait(
        self,
        experiment_id: str,
        timeout: float | None = None,
        *,
        poll_seconds: float = 1.0,
        progress: bool | None = None,
    ) -> Experiment:
        """Blocks until the experiment ends and returns it; TimeoutError after ``timeout`` s.

        Shows a progress bar (runs finished of the budget, best so far, elapsed) when stderr is
        a terminal, or as ``progress`` says."""
        show = sys.stderr.isatty() if progress is None else progress
        deadline = None if timeout is None else time.monotonic() + timeout
        with ProgressBar(show) as bar:
            while True:
                current = self.experiment(experiment_id)
                bar.update(current)
                if current.finished:
                    return current
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"experiment {experiment_id} still {current.status} after {timeout} s"
                    )
                time.sleep(poll_seconds)

    # -- runs, artifacts, data sets ------------------------------------------------------------
    def run(self, run_id: str) -> Run:
        return Run.from_json(self._read(f"/api/runs/{run_id}"))

    def metrics(self, run_id: str, max_points: int | None = None) -> Metrics:
        """Per-epoch series by metric name; ``max_points`` thins long series."""
        return Metrics.from_json(
            self._read(f"/api/runs/{run_id}/metrics", _params(max_points=max_points))
        )

    def artifacts(self, run_id: str) -> list[Artifact]:
        return [Artifact.from_json(a) for a in self._read(f"/api/runs/{run_id}/artifacts")]

    def download_artifact(self, run_id: str, name: str, dest: str | Path | None = None) -> Path:
        """Saves a run's file (``model.keras``, ``forecast.csv``) to ``dest`` (a folder or a
        file name; default the current folder) and returns where."""
        target = Path(dest) if dest is not None else Path.cwd()
        if target.is_dir():
            target = target / name
        partial = target.with_name(target.name + ".partial")
        with self._http.stream("GET", f"/api/runs/{run_id}/artifacts/{name}") as response:
            if response.status_code >= 400:
                response.read()
                _raise_for(response)
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
    ) -> Dataset:
        """Uploads a CSV (a timestamp column, numeric columns); use it as ``dataset: <id>``.
        ``columns`` keeps only those; ``fill_gaps`` fills gaps of up to that many steps."""
        path = Path(path)
        params = _params(
            name=name or path.stem,
            timestamp_column=timestamp_column,
            columns=",".join(columns) if columns else None,
            fill_gaps=fill_gaps,
        )
        response = self._send(
            "POST",
            "/api/datasets",
            params=params,
            content=path.read_bytes(),
            headers={"Content-Type": "text/csv"},
        )
        return Dataset.from_json(response.json())

    def datasets(self) -> list[Dataset]:
        return list(self._all_pages("/api/datasets", {}, Dataset.from_json, page_size=500))

    def health(self) -> dict[str, Any]:
        return self._read("/api/health")

    # -- HTTP ------------------------------------------------------------------------------------
    def _all_pages(
        self,
        path: str,
        params: dict[str, Any],
        parse: Callable[[dict[str, Any]], T],
        page_size: int = 1000,
    ) -> Iterator[T]:
        offset = 0
        while True:
            page = self._read(path, {**params, "limit": page_size, "offset": offset})
            yield from (parse(item) for item in page["items"])
            if len(page["items"]) < page_size:
                return
            offset += page_size

    def _read(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._send("GET", path, params=params).json()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        # Only a failed connect is retried (by the transport): nothing was sent then, so a
        # write is never done twice; a lost answer is an error, never a resend.
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise _unreachable(self.base_url, error) from None
        _raise_for(response)
        return response


def _params(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _unreachable(base_url: str, error: Exception) -> ServiceError:
    return ServiceError(
        f"cannot reach the tunedrive service at {base_url} ({error}); is `tunedrive serve` "
        "running there? Set TUNEDRIVE_URL to point elsewhere"
    )


def _raise_for(response: httpx.Response) -> None:
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
