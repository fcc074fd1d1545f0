"""Reading uploaded code archives: every unsafe member refused by name, content addressing."""

from __future__ import annotations

import io
import tarfile
import zipfile

import pytest

from tuner.core.snapshots import canonical, read_archive, snapshot_id
from tuner.errors import DataError

LIMIT = 1 << 20


def _tar(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _special(name: str, kind: bytes, target: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


@pytest.mark.parametrize(
    ("member", "says"),
    [
        (_file("/etc/cron.d/x"), "absolute path"),
        (_file("src/../../escape.py"), "'..'"),
        (_special("link", tarfile.SYMTYPE, "/etc/passwd"), "outside the snapshot"),
        (_special("a/link", tarfile.SYMTYPE, "../../x"), "outside the snapshot"),
        (_special("hard", tarfile.LNKTYPE, "train.py"), "hard link"),
        (_special("dev", tarfile.CHRTYPE), "device file"),
        (_special("fifo", tarfile.FIFOTYPE), "FIFO"),
    ],
)
def test_unsafe_members_are_refused_by_name(member: tuple, says: str) -> None:
    with pytest.raises(DataError, match=says):
        read_archive(_tar(_file("train.py"), member), LIMIT)


def test_too_many_bytes_counted_as_read_not_as_declared() -> None:
    with pytest.raises(DataError, match="more than 1000 bytes"):
        read_archive(_tar(_file("big.bin", b"0" * 5000)), 1000)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b"0" * 50_000)  # compresses to ~100 bytes
    with pytest.raises(DataError, match="more than 1000 bytes"):
        read_archive(zipped.getvalue(), 1000)


def test_zip_traversal_and_garbage_are_refused() -> None:
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("../evil.py", b"x")
    with pytest.raises(DataError, match=r"'\.\.'"):
        read_archive(zipped.getvalue(), LIMIT)
    with pytest.raises(DataError, match=r"not a tar\.gz or zip"):
        read_archive(b"plain text, not an archive", LIMIT)


def test_the_same_files_have_one_id_however_packed() -> None:
    tar_members = read_archive(_tar(_file("b.py", b"2"), _file("a.py", b"1")), LIMIT)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("a.py", b"1")
        archive.writestr("b.py", b"2")
    zip_members = read_archive(zipped.getvalue(), LIMIT)
    assert snapshot_id(canonical(tar_members)) == snapshot_id(canonical(zip_members))
    changed = read_archive(_tar(_file("a.py", b"1"), _file("b.py", b"3")), LIMIT)
    assert snapshot_id(canonical(changed)) != snapshot_id(canonical(tar_members))
