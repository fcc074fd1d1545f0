"""Storing code snapshots (POST /api/code): validated, repacked canonically, addressed by
their sha256; the same files uploaded twice are stored once."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from tuner.core.settings import Settings
from tuner.core.snapshots import (
    canonical,
    check_commands_allowed,
    read_archive,
    snapshot_id,
    snapshot_path,
)
from tuner.errors import DataError


@dataclass(frozen=True)
class StoredSnapshot:
    id: str
    files: int
    bytes: int
    created: bool  # False: these files were already stored


def save_snapshot(settings: Settings, data: bytes) -> StoredSnapshot:
    """Stores an uploaded archive; DataError (nothing stored) names what was refused."""
    check_commands_allowed(settings)
    if len(data) > settings.max_code_bytes:
        raise DataError(
            f"the archive is {len(data)} bytes, over the {settings.max_code_bytes}-byte limit "
            "(TUNEDRIVE_MAX_CODE_BYTES); leave data and builds out with an ignore file"
        )
    members = read_archive(data, settings.max_code_bytes)
    packed = canonical(members)
    snapshot = snapshot_id(packed)
    path = snapshot_path(settings, snapshot)
    created = not path.exists()
    if created:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole, then renamed: a reader never sees half a snapshot.
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(packed)
        os.replace(temporary, path)
    files = sum(1 for m in members if m.kind != "dir")
    return StoredSnapshot(snapshot, files, sum(len(m.data) for m in members), created)
