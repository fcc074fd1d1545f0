"""Data sets: GEFCom2014 (local file, workbook, or download) and a deterministic synthetic set.

``energy.csv`` is checked against its published checksum. Where it is absent it is made from
the competition workbook, and where that is absent too, the archive is downloaded from the
public source the reference tutorial uses. Every file is written to a temporary name and
renamed only after its checksum matched, so a failure leaves nothing half-written behind.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tuner.errors import DataError

ENERGY_CSV = "energy.csv"
WORKBOOK = "GEFCom2014-E.xlsx"
ENERGY_SHA256 = "98e8266ab19afc932a119fe3b5cef5e15f56553669943f8cd65fd42d887cc84e"
WORKBOOK_SHA256 = "a8039bcaca166ee6295b622889274754dcf2e34d6d5976a6d0dc31e91a82ae3e"
SOURCE_URL = "https://www.dropbox.com/s/pqenrr2mcvl0hk9/GEFCom2014.zip?dl=1"
INNER_ARCHIVE = "GEFCom2014-E_V2.zip"
FIRST_TIMESTAMP = "2012-01-01"


VALID_START = np.datetime64("2014-09-01T00:00:00", "s")  # the reference tutorial's split
TEST_START = np.datetime64("2014-11-01T00:00:00", "s")


@dataclass(frozen=True)
class Series:
    """A regular time series with its split: what the driver puts in Ray's object store once.

    The target (load, for GEFCom2014) is forecast from its own past and the covariates'
    (temperature). Training data ends at ``valid_start``; test data starts at ``test_start``.
    """

    name: str
    timestamps: np.ndarray  # datetime64[s], strictly increasing, regular
    target: np.ndarray  # float64
    covariates: np.ndarray  # (n, k) float64
    valid_start: np.datetime64 = VALID_START
    test_start: np.datetime64 = TEST_START
    covariate_names: tuple[str, ...] = ("temp",)
    future_covariates: tuple[str, ...] = ()  # also given over the forecast window (ex post)
    frequency: str = "h"  # a pandas offset alias (DESIGN §6.1)
    target_name: str = "load"  # the target's column

    def __len__(self) -> int:
        return len(self.target)


@dataclass(frozen=True)
class Panel:
    """Many series on one frequency, each with its own start, length and split; a run trains
    one global model over the windows of all of them (DESIGN §6.1)."""

    name: str
    members: tuple[Series, ...]  # each named by its series id

    @property
    def frequency(self) -> str:
        return self.members[0].frequency

    @property
    def future_covariates(self) -> tuple[str, ...]:
        return self.members[0].future_covariates


def read_energy_csv(path: Path) -> Series:
    frame = pd.read_csv(path, parse_dates=["timestamp"])
    return Series(
        name="gefcom2014",
        timestamps=frame["timestamp"].to_numpy(dtype="datetime64[s]"),
        target=frame["load"].to_numpy(dtype=np.float64),
        covariates=frame[["temp"]].to_numpy(dtype=np.float64),
    )


def ensure_gefcom2014(data_dir: Path, url: str | None = None) -> Path:
    """Returns the path of a verified ``energy.csv`` in ``data_dir``, making it if needed."""
    target = data_dir / ENERGY_CSV
    if target.exists():
        if sha256_of(target.read_bytes()) != ENERGY_SHA256:
            raise DataError(
                f"{target} does not match the published checksum {ENERGY_SHA256[:12]}…; "
                "replace it with the original file or delete it to rebuild it from the workbook"
            )
        return target
    workbook = data_dir / WORKBOOK
    if workbook.exists():
        content = workbook.read_bytes()
    else:
        content = download_workbook(
            url or os.environ.get("TUNEDRIVE_GEFCOM_URL", SOURCE_URL), data_dir
        )
    _verify(content, WORKBOOK_SHA256, WORKBOOK)
    data_dir.mkdir(parents=True, exist_ok=True)
    if not workbook.exists():
        _write_atomically(workbook, content)
    csv_bytes = convert_workbook(content)
    _verify(csv_bytes, ENERGY_SHA256, f"{ENERGY_CSV} converted from {WORKBOOK}")
    _write_atomically(target, csv_bytes)
    return target


def download_workbook(url: str, data_dir: Path) -> bytes:
    """Fetches the competition archive and returns the workbook's bytes (nothing written)."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            archive = response.read()
    except OSError as err:
        raise DataError(
            f"GEFCom2014 data not found: put {ENERGY_CSV} (or {WORKBOOK}) into {data_dir} "
            "or point TUNEDRIVE_DATA_DIR at a folder that has it; "
            f"the download from {url} failed: {err}"
        ) from None
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as outer:
            inner_name = next(n for n in outer.namelist() if n.endswith(INNER_ARCHIVE))
            with zipfile.ZipFile(io.BytesIO(outer.read(inner_name))) as inner:
                book_name = next(n for n in inner.namelist() if n.endswith(WORKBOOK))
                return inner.read(book_name)
    except (zipfile.BadZipFile, StopIteration):
        raise DataError(
            f"the archive from {url} is not the GEFCom2014 archive "
            f"(no {INNER_ARCHIVE}/{WORKBOOK} inside)"
        ) from None


def convert_workbook(content: bytes) -> bytes:
    """The reference tutorial's conversion: timestamp = Date + (Hour − 1) h, T → temp, 2012 on."""
    frame = pd.read_excel(io.BytesIO(content), engine="openpyxl")
    frame["timestamp"] = frame["Date"] + pd.to_timedelta(frame["Hour"] - 1, unit="h")
    frame = frame[["timestamp", "load", "T"]].rename(columns={"T": "temp"})
    frame = frame[frame["timestamp"] >= FIRST_TIMESTAMP]
    return frame.to_csv(index=False).encode()


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _verify(content: bytes, expected: str, what: str) -> None:
    actual = sha256_of(content)
    if actual != expected:
        raise DataError(
            f"{what} has checksum {actual[:12]}…, not the published {expected[:12]}…; "
            "the file is corrupt or not the GEFCom2014-E release, so nothing was written"
        )


def _write_atomically(path: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def synthetic_series(start: str = FIRST_TIMESTAMP, hours: int = 26_304, seed: int = 2014) -> Series:
    """A deterministic stand-in for GEFCom2014 with the same span, clearly named ``synthetic``.

    Load has daily, weekly and annual cycles plus a temperature effect (heating and cooling),
    so every forecaster has something real to learn; the noise comes from a fixed seed.
    """
    timestamps = np.datetime64(start, "s") + np.arange(hours) * np.timedelta64(3600, "s")
    t = np.arange(hours, dtype=np.float64)
    rng = np.random.default_rng(seed)
    annual = np.sin(2 * np.pi * (t / (24 * 365.25) - 0.3))
    temp = 48 + 25 * annual + 8 * np.sin(2 * np.pi * (t % 24 - 9) / 24) + rng.normal(0, 3, hours)
    hour_of_day = t % 24
    daily = 400 * np.sin(2 * np.pi * (hour_of_day - 6) / 24) + 200 * np.sin(
        4 * np.pi * hour_of_day / 24
    )
    weekday = ((t // 24) + 6) % 7  # 2012-01-01 was a Sunday
    weekly = np.where(weekday >= 5, -300.0, 0.0)
    comfort = 12 * np.abs(temp - 60)
    load = 3000 + daily + weekly + comfort + rng.normal(0, 40, hours)
    return Series(name="synthetic", timestamps=timestamps, target=load, covariates=temp[:, None])
