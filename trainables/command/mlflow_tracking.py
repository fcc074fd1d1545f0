"""Answers the MLflow tracking REST calls of one command trial, so that a script written for
Azure ML v2 (``mlflow.log_metric``, ``log_metrics``, ``log_param``) runs unchanged.

A small HTTP server on loopback, for the run's lifetime; ``MLFLOW_TRACKING_URI`` points the
script's MLflow client at it, under a random path that only the run knows. Logged metrics
become report lines in the run's metrics file; everything else is acknowledged and kept only
as far as the client needs an answer (a run and an experiment to exist).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API = "/api/2.0/mlflow/"
Sink = Callable[[dict[str, Any]], None]


def _experiment(experiment_id: str = "0", name: str = "Default") -> dict[str, Any]:
    return {"experiment_id": experiment_id, "name": name, "lifecycle_stage": "active"}


class _Tracking:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.runs: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def run(self, run_id: str) -> dict[str, Any]:
        info = self.runs.get(run_id) or self._new_run({"experiment_id": "0"}, run_id)
        return {"info": info, "data": {"metrics": [], "params": [], "tags": []}}

    def _new_run(self, body: dict[str, Any], run_id: str | None = None) -> dict[str, Any]:
        run_id = run_id or uuid.uuid4().hex
        info = {
            "run_id": run_id,
            "run_uuid": run_id,
            "experiment_id": str(body.get("experiment_id", "0")),
            "run_name": body.get("run_name", "tunedrive"),
            "status": "RUNNING",
            "start_time": body.get("start_time", int(time.time() * 1000)),
            "lifecycle_stage": "active",
            "artifact_uri": "",
        }
        self.runs[run_id] = info
        return info

    def answer(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if endpoint == "runs/create":
                return {"run": {"info": self._new_run(body), "data": {}}}
            if endpoint == "runs/get":
                return {"run": self.run(str(body.get("run_id") or body.get("run_uuid")))}
            if endpoint == "runs/update":
                info = self.run(str(body.get("run_id") or body.get("run_uuid")))["info"]
                info["status"] = body.get("status", info["status"])
                return {"run_info": info}
            if endpoint == "runs/log-metric":
                self._metrics([body])
            elif endpoint == "runs/log-batch":
                self._metrics(body.get("metrics") or [])
            elif endpoint in ("experiments/get-by-name", "experiments/get"):
                return {"experiment": _experiment(name=str(body.get("experiment_name", "Default")))}
            elif endpoint == "experiments/create":
                return {"experiment_id": "0"}
            elif endpoint == "experiments/search":
                return {"experiments": [_experiment()]}
            return {}

    def _metrics(self, metrics: list[dict[str, Any]]) -> None:
        """One report line per call: its metrics, with their step where the script gave one
        (MLflow sends 0 when it did not)."""
        line: dict[str, Any] = {}
        steps = [int(m.get("step") or 0) for m in metrics]
        for metric in metrics:
            line[str(metric["key"])] = metric.get("value")
        if line:
            if max(steps, default=0) > 0:
                line["step"] = max(steps)
            self.sink(line)


def _handler(tracking: _Tracking, prefix: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # the run's logs stay its own
            pass

        def _serve(self) -> None:
            url = urlsplit(self.path)
            if not url.path.startswith(prefix + API):
                self._send(404, {"error_code": "ENDPOINT_NOT_FOUND"})
                return
            endpoint = url.path[len(prefix + API) :]
            body: dict[str, Any] = {k: v[-1] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("content-length") or 0)
            if length:
                try:
                    body.update(json.loads(self.rfile.read(length)))
                except ValueError:
                    self._send(400, {"error_code": "INVALID_PARAMETER_VALUE"})
                    return
            self._send(200, tracking.answer(endpoint, body))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

    return Handler


class TrackingServer:
    """``with TrackingServer(sink) as uri:`` a tracking URI for ``MLFLOW_TRACKING_URI``."""

    def __init__(self, sink: Sink) -> None:
        self.prefix = "/" + secrets.token_hex(8)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(_Tracking(sink), self.prefix))
        self.server.daemon_threads = True

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.prefix}"

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.uri

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
