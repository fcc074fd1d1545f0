"""Code snapshots: a folder of a user's code, sent as a tar.gz or zip and kept as one canonical
tar.gz addressed by its sha256.

Reading an upload refuses, naming the member: absolute paths, ``..``, links that point outside
the snapshot, hard links, device files and FIFOs, and more files or bytes than the limits
(counted as they are read, never trusting the archive's own headers).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import posixpath
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tuner.errors import DataError, Forbidden

MAX_FILES = 20_000


@dataclass(frozen=True)
class Member:
    path: str  # relative POSIX path
    kind: str  # "file", "dir" or "link"
    data: bytes = b""
    mode: int = 0o644
    target: str = ""  # a link's


def _clean(name: str) -> str:
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or "\\" in name:
        raise DataError(f"{name!r}: an absolute path; a snapshot holds relative paths only")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise DataError(f"{name!r}: '..' would leave the snapshot folder")
    if not parts:
        raise DataError(f"{name!r}: an empty path")
    return "/".join(parts)


def _check_link(path: str, target: str) -> None:
    if target.startswith("/"):
        raise DataError(f"{path!r}: a link to {target!r}, outside the snapshot")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    if resolved == ".." or resolved.startswith("../"):
        raise DataError(f"{path!r}: a link to {target!r}, outside the snapshot")


class _Budget:
    def __init__(self, max_bytes: int) -> None:
        self.left = max_bytes
        self.max_bytes = max_bytes
        self.files = 0

    def read(self, source: io.BufferedIOBase | io.RawIOBase | object, name: str) -> bytes:
        self.files += 1
        if self.files > MAX_FILES:
            raise DataError(f"more than {MAX_FILES} files; leave data and builds out")
        data = source.read(self.left + 1)  # type: ignore[attr-defined]
        self.left -= len(data)
        if self.left < 0:
            raise DataError(
                f"{name!r}: the snapshot unpacks to more than {self.max_bytes} bytes; leave "
                "data and builds out (an ignore file), or raise TUNEDRIVE_MAX_CODE_BYTES"
            )
        return data


def read_archive(data: bytes, max_bytes: int) -> list[Member]:
    """The members of an uploaded tar(.gz) or zip; DataError names the first refused one."""
    budget = _Budget(max_bytes)
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return _read_zip(data, budget)
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")  # noqa: SIM115
    except (tarfile.TarError, EOFError, OSError) as err:
        raise DataError(
            f"not a tar.gz or zip archive ({err}); send `tar czf` or `zip` output"
        ) from None
    members: list[Member] = []
    with archive:
        try:
            for info in archive:
                path = _clean(info.name)
                if info.isdir():
                    members.append(Member(path, "dir", mode=0o755))
                elif info.issym():
                    _check_link(path, info.linkname)
                    members.append(Member(path, "link", target=info.linkname))
                elif info.islnk():
                    raise DataError(f"{path!r}: a hard link; send the file itself")
                elif info.isfile():
                    source = archive.extractfile(info)
                    mode = 0o755 if info.mode & 0o111 else 0o644
                    members.append(Member(path, "file", budget.read(source, path), mode))
                else:
                    raise DataError(f"{path!r}: a device file or FIFO; a snapshot holds files")
        except (tarfile.TarError, EOFError, OSError) as err:
            raise DataError(f"the archive is damaged: {err}") from None
    return members


def _read_zip(data: bytes, budget: _Budget) -> list[Member]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as err:
        raise DataError(f"not a zip archive ({err})") from None
    members = []
    with archive:
        for info in archive.infolist():
            path = _clean(info.filename)
            kind = (info.external_attr >> 16) & 0o170000
            if info.is_dir():
                members.append(Member(path, "dir", mode=0o755))
            elif kind == 0o120000:  # a symbolic link, its target as the content
                with archive.open(info) as source:
                    target = source.read(4096).decode("utf-8", "replace")
                _check_link(path, target)
                members.append(Member(path, "link", target=target))
            elif kind in (0, 0o100000):
                mode = 0o755 if (info.external_attr >> 16) & 0o111 else 0o644
                try:
                    with archive.open(info) as source:
                        members.append(Member(path, "file", budget.read(source, path), mode))
                except (zipfile.BadZipFile, RuntimeError, OSError) as err:
                    raise DataError(f"{path!r}: cannot be read ({err})") from None
            else:
                raise DataError(f"{path!r}: a device file or FIFO; a snapshot holds files")
    return members


def canonical(members: list[Member]) -> bytes:
    """One tar.gz for the same files, however they were packed: sorted, no times or owners;
    its sha256 is the snapshot's id."""
    out = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        seen: set[str] = set()
        for member in sorted(members, key=lambda m: m.path):
            if member.path in seen:
                raise DataError(f"{member.path!r} appears twice in the archive")
            seen.add(member.path)
            info = tarfile.TarInfo(member.path)
            info.mode = member.mode
            if member.kind == "dir":
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            elif member.kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, member.target
                archive.addfile(info)
            else:
                info.size = len(member.data)
                archive.addfile(info, io.BytesIO(member.data))
    return out.getvalue()


def snapshot_id(canonical_bytes: bytes) -> str:
    return hashlib.sha256(canonical_bytes).hexdigest()


def extract(archive_path: Path, destination: Path) -> None:
    """Unpacks a stored (canonical) snapshot; Python's ``data`` filter guards it once more."""
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path, mode="r:gz") as archive:
        archive.extractall(destination, filter="data")


def check_commands_allowed(settings: object) -> None:
    """Forbidden where the service's operator turned command trials off."""
    if not getattr(settings, "allow_commands", True):
        raise Forbidden(
            "command trials are turned off on this service (TUNEDRIVE_ALLOW_COMMANDS=false); "
            "use a registered trainable, or ask its operator"
        )


def snapshot_path(settings: object, snapshot: str) -> Path:
    """Where a stored snapshot lives under the service's storage path."""
    return Path(settings.resolved_storage_path) / "_code" / f"{snapshot}.tar.gz"  # type: ignore[attr-defined]
