"""GEFCom2014 from a file, from the workbook, or downloaded (from a loopback server); synthetic."""

from __future__ import annotations

import http.server
import io
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from trainables.datasets import (
    ENERGY_SHA256,
    ensure_gefcom2014,
    read_energy_csv,
    sha256_of,
    synthetic_series,
)
from tuner.errors import DataError


def archive_with(workbook: bytes) -> bytes:
    """The competition archive's layout: an outer zip holding GEFCom2014-E_V2.zip."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("GEFCom2014-E.xlsx", workbook)
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as z:
        z.writestr("GEFCom2014 Data/GEFCom2014-E_V2.zip", inner.getvalue())
        z.writestr("GEFCom2014 Data/GEFCom2014-L_V2.zip", b"other tracks")
    return outer.getvalue()


@pytest.fixture
def serve() -> Iterator[object]:
    servers = []

    def start(payload: bytes) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/GEFCom2014.zip"

    yield start
    for server in servers:
        server.shutdown()


def test_download_converts_and_verifies(shared_data: Path, tmp_path: Path, serve: object) -> None:
    url = serve(archive_with((shared_data / "GEFCom2014-E.xlsx").read_bytes()))  # type: ignore[operator]
    path = ensure_gefcom2014(tmp_path / "data", url=url)
    assert sha256_of(path.read_bytes()) == ENERGY_SHA256
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [
        "GEFCom2014-E.xlsx",
        "energy.csv",
    ]
    series = read_energy_csv(path)
    assert len(series) == 26_304 and str(series.timestamps[0]) == "2012-01-01T00:00:00"


def test_bad_checksum_is_refused_and_nothing_is_written(
    shared_data: Path, tmp_path: Path, serve: object
) -> None:
    workbook = bytearray((shared_data / "GEFCom2014-E.xlsx").read_bytes())
    workbook[5000] ^= 0xFF
    url = serve(archive_with(bytes(workbook)))  # type: ignore[operator]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with pytest.raises(DataError, match="not the published"):
        ensure_gefcom2014(data_dir, url=url)
    assert list(data_dir.iterdir()) == []


def test_wrong_archive_is_refused(tmp_path: Path, serve: object) -> None:
    url = serve(b"<html>not a zip</html>")  # type: ignore[operator]
    with pytest.raises(DataError, match="not the GEFCom2014 archive"):
        ensure_gefcom2014(tmp_path, url=url)
    assert list(tmp_path.iterdir()) == []


def test_offline_error_says_where_to_put_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        ensure_gefcom2014(tmp_path / "data", url="http://127.0.0.1:9/GEFCom2014.zip")
    message = str(caught.value)
    assert (
        "put energy.csv" in message
        and str(tmp_path / "data") in message
        and "TUNEDRIVE_DATA_DIR" in message
    )


def test_existing_file_is_checked(shared_data: Path, tmp_path: Path) -> None:
    assert ensure_gefcom2014(shared_data) == shared_data / "energy.csv"
    corrupt = tmp_path / "energy.csv"
    corrupt.write_bytes((shared_data / "energy.csv").read_bytes().replace(b"2698.0", b"2699.0", 1))
    with pytest.raises(DataError, match="does not match the published checksum"):
        ensure_gefcom2014(tmp_path)


def test_workbook_alone_is_converted(shared_data: Path, tmp_path: Path) -> None:
    (tmp_path / "GEFCom2014-E.xlsx").write_bytes((shared_data / "GEFCom2014-E.xlsx").read_bytes())
    assert sha256_of(ensure_gefcom2014(tmp_path).read_bytes()) == ENERGY_SHA256


def test_synthetic_is_deterministic_and_named() -> None:
    a, b = synthetic_series(), synthetic_series()
    assert a.name == "synthetic" and len(a) == 26_304
    assert np.array_equal(a.target, b.target) and np.array_equal(a.covariates, b.covariates)
    daily = a.target[: 24 * 28].reshape(28, 24).mean(axis=0)
    assert daily.max() - daily.min() > 300  # a real daily cycle to learn
