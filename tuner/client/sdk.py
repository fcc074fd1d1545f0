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

from tuner.client.commands import CommandCalls
from tuner.client.ensembles import EnsembleCalls
from tuner.client.files import FileCalls, raise_for
from tuner.client.forecasts import ForecastCalls
from tuner.client.progress import ProgressBar
from tuner.client.refits import RefitCalls
from tuner.client.schemas import (
    Experiment,
    ExtendRequest,
    Importance,
    Metrics,
    Run,
    SpecCheck,
)
from tuner.client.series import SeriesCalls
from tuner.errors import (
    ServiceError,
)

DEFAULT_URL = "http://127.0.0.1:8000"
CONNECT_RETRIES = 4  # httpx backs off 0, 0.5, 1, 2 s between tries
T = TypeVar("T")


class Client(FileCalls, CommandCalls, SeriesCalls, ForecastCalls, RefitCalls, EnsembleCalls):
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
        """Queues an experiment: a spec dict, a YAML/JSON file path, or an ExperimentSpec; an
        Azure ML v2 sweep job too. A command trial's local code folder and path inputs
        (relative to the spec file) are uploaded with it."""
        response = self._send("POST", "/api/experiments", **self._spec_body(spec))
        return Experiment.from_json(response.json())

    def check(self, spec: dict[str, Any] | str | Path | Any) -> SpecCheck:
        """Every check a submission makes, against the service's data and nodes; queues
        nothing. SpecError names each bad field."""
        return SpecCheck.from_json(
            self._send("POST", "/api/experiments/check", **self._spec_body(spec)).json()
        )

    def delete_experiment(self, experiment_id: str) -> None:
        """Deletes a finished experiment with its runs, metrics and files (ConflictError while
        it is queued or running, or another experiment warm-starts from it)."""
        self._send("DELETE", f"/api/experiments/{experiment_id}")

    def delete_dataset(self, dataset_id: str) -> None:
        """Deletes an uploaded data set and its file (ConflictError while an experiment that
        is queued or running uses it)."""
        self._send("DELETE", f"/api/datasets/{dataset_id}")

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
        raise_for(response)
        return response


def _params(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _unreachable(base_url: str, error: Exception) -> ServiceError:
    return ServiceError(
        f"cannot reach the tunedrive service at {base_url} ({error}); is `tunedrive serve` "
        "running there? Set TUNEDRIVE_URL to point elsewhere"
    )
