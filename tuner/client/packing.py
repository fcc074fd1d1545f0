"""Packing a spec's local files for submission: the ``code:`` folder and path inputs become
tar.gz snapshots, uploaded, and the spec names them by id.

``.tunedriveignore`` in the folder (else its ``.gitignore``) lists what to leave out, one
glob per line as git writes them (``#`` comments, a trailing ``/`` for folders); ``.git``
and ``__pycache__`` are always left out.
"""

from __future__ import annotations

import fnmatch
import gzip
import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuner.errors import FieldProblem, SpecError

IGNORE_FILES = (".tunedriveignore", ".gitignore")
ALWAYS_LEFT_OUT = (".git", "__pycache__", ".ipynb_checkpoints")
Upload = Callable[[bytes], str]  # an archive -> its snapshot id


def ignore_patterns(folder: Path) -> list[str]:
    for name in IGNORE_FILES:
        path = folder / name
        if path.is_file():
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    return []


def _ignored(relative: str, is_dir: bool, patterns: list[str]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    if name in ALWAYS_LEFT_OUT:
        return True
    for pattern in patterns:
        folder_only = pattern.endswith("/")
        pattern = pattern.rstrip("/")
        if folder_only and not is_dir:
            continue
        anchored = pattern.startswith("/") or "/" in pattern
        if fnmatch.fnmatch(relative if anchored else name, pattern.lstrip("/")):
            return True
    return False


def pack(path: Path) -> bytes:
    """A file or a folder (its contents, ignore file honoured) as a tar.gz."""
    out = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w") as archive,
    ):
        if path.is_file():
            archive.add(path, arcname=path.name, recursive=False)
        else:
            _add_folder(archive, path)
    return out.getvalue()


def _add_folder(archive: tarfile.TarFile, folder: Path) -> None:
    patterns = ignore_patterns(folder)
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        base = here.relative_to(folder).as_posix()

        def relative(name: str, base: str = base) -> str:
            return name if base == "." else f"{base}/{name}"

        dirs[:] = sorted(d for d in dirs if not _ignored(relative(d), True, patterns))
        for name in sorted(files):
            if not _ignored(relative(name), False, patterns):
                archive.add(here / name, arcname=relative(name), recursive=False)


def upload_local_files(spec: dict[str, Any], base: Path, upload: Upload) -> dict[str, Any]:
    """The spec with ``trial.code`` and path inputs that name local files (relative to
    ``base``, the spec file's folder) uploaded and replaced by their snapshot ids."""
    trial = spec.get("trial")
    if not isinstance(trial, dict):
        return spec
    spec = {**spec, "trial": dict(trial)}
    code = trial.get("code")
    if isinstance(code, str) and not _is_snapshot_id(code):
        spec["trial"]["code"] = upload(pack(_local(base, code, "trial.code")))
    inputs = spec.get("inputs")
    if isinstance(inputs, dict):
        spec["inputs"] = dict(inputs)
        for name, value in inputs.items():
            if (
                isinstance(value, dict)
                and value.get("type") in ("uri_file", "uri_folder")
                and isinstance(value.get("path"), str)
                and "code" not in value
                and "dataset" not in value
                and "://" not in value["path"]
            ):
                local = _local(base, value["path"], f"inputs.{name}.path")
                spec["inputs"][name] = {
                    **value,
                    "code": upload(pack(local)),
                    "path": local.name if value["type"] == "uri_file" else ".",
                }
    return spec


def _is_snapshot_id(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _local(base: Path, given: str, field: str) -> Path:
    path = (base / given).expanduser()
    if not path.exists():
        raise SpecError([FieldProblem(field, f"{given!r}: no such file or folder (from {base})")])
    return path
