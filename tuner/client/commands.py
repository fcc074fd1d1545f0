"""The Client's calls for tuning your own code: code snapshots, a spec's local files, run
logs, and the trainables the service knows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from tuner.client.packing import pack, upload_local_files
from tuner.client.schemas import WireModel
from tuner.errors import FieldProblem, SpecError

GZIP = {"Content-Type": "application/gzip"}


class CodeSnapshot(WireModel):
    """A stored code snapshot: name it as ``trial.code`` (or an input's ``code``)."""

    id: str  # the sha256 of its canonical archive
    files: int
    bytes: int
    created: bool  # False: the same files were already stored


class Trainable(WireModel):
    """What ``GET /api/trainables`` lists for each trainable."""

    name: str
    description: str
    hyperparameters: dict[str, dict[str, Any]]  # name -> {default, domain}
    open_hyperparameters: bool  # any name: the search space declares them
    metrics: list[str]  # reported each interval (empty: whatever the code reports)
    final_metrics: list[str]
    training_length: str | None
    trial_groups: bool
    forecasts: bool = False  # forecasts from fresh history (POST /api/runs/{id}/forecast)


class CommandCalls:
    """Mixed into :class:`tuner.client.Client`, whose HTTP helpers these use."""

    _http: httpx.Client
    _read: Callable[..., Any]
    _send: Callable[..., httpx.Response]

    def upload_code(self, folder: str | Path) -> CodeSnapshot:
        """Packs a folder (its ``.tunedriveignore`` or ``.gitignore`` honoured) and stores it;
        the answer's id goes in a spec as ``trial.code``."""
        return self._upload_archive(pack(Path(folder)))

    def _upload_archive(self, archive: bytes) -> CodeSnapshot:
        response = self._send("POST", "/api/code", content=archive, headers=GZIP)
        return CodeSnapshot.from_json(response.json())

    def trainables(self) -> list[Trainable]:
        """Every trainable, with its hyperparameters (domains, defaults) and metrics."""
        return [Trainable.from_json(t) for t in self._read("/api/trainables")]

    def logs(self, run_id: str, stream: str = "stdout", tail: int = 200) -> str:
        """A command trial's last ``tail`` lines of ``stdout`` or ``stderr``."""
        return str(
            self._send(
                "GET", f"/api/runs/{run_id}/logs", params={"stream": stream, "tail": tail}
            ).text
        )

    def follow_logs(self, run_id: str, stream: str = "stdout", tail: int = 200) -> Iterator[str]:
        """The log's tail, then what the run writes, as it comes, until the run ends."""
        from tuner.client.files import raise_for

        params = {"stream": stream, "tail": tail, "follow": "true"}
        with self._http.stream(
            "GET", f"/api/runs/{run_id}/logs", params=params, timeout=None
        ) as response:
            if response.status_code >= 400:
                response.read()
                raise_for(response)
            yield from response.iter_text()

    def _spec_body(self, spec: dict[str, Any] | str | Path | Any) -> dict[str, Any]:
        """The request body of a spec. Local files a command trial names (``trial.code``,
        path inputs), relative to the spec file, are uploaded first and named by id."""
        base = Path.cwd()
        if isinstance(spec, str | Path):
            path = Path(spec)
            if not path.is_file():
                raise SpecError([FieldProblem("", f"no spec file at {path}")])
            text = path.read_bytes()
            document = _document(text)
            if not _names_local_files(document):
                return {"content": text, "headers": {"Content-Type": "application/yaml"}}
            spec, base = document, path.parent
        elif hasattr(spec, "to_json"):
            spec = spec.to_json()
        if _names_local_files(spec):
            spec = upload_local_files(spec, base, lambda archive: self._upload_archive(archive).id)
        return {"json": spec}


def _document(text: bytes) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None  # the service names what is wrong with it


def _names_local_files(spec: Any) -> bool:
    return isinstance(spec, dict) and isinstance(spec.get("trial"), dict)
