"""Uploads fuzzed like specs (Hypothesis): CSVs with clashing, duplicate and unicode column
names, a BOM, other separators, quoted newlines, huge numbers, empty columns, mixed types and
time-zone offsets, sent to a live server over one kept-alive connection. Each gets a 201 or a
4xx that says why, never a 5xx, and the connection stays usable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.live import LiveServer, live_server

NAMES = ["timestamp", "ts", "demand", "Demand", "温度", "naïve", "", "a,b", 'q"uote', "x\ny"]
START = datetime(2024, 3, 1)
OFFSETS = ["", "Z", "+01:00", "-05:30"]
CLEAN = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(repr)
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", "1e400", "-1e400", "abc", "NaN", "  7 ", '"multi\nline"', "1,5"]),
)


@st.composite
def uploads(draw: Any) -> tuple[bytes, dict[str, str]]:
    separator = draw(st.sampled_from([",", ";", "\t", "|"]))
    stamp_name = draw(st.sampled_from(["timestamp", "ts", "when"]))
    others = draw(st.lists(st.sampled_from(NAMES), min_size=0, max_size=4))
    header = [stamp_name, *others]
    kinds = [draw(st.booleans()) for _ in others]  # a clean numeric column, or anything
    rows = draw(st.one_of(st.integers(0, 5), st.integers(48, 90)))  # a data set needs 48
    offsets = draw(st.lists(st.sampled_from(OFFSETS), min_size=1, max_size=2))
    step_hours = draw(st.sampled_from([1, 24, 0]))
    lines = [separator.join(_quoted(n, separator) for n in header)]
    for i in range(rows):
        stamp = str(START + timedelta(hours=i * step_hours)) + offsets[i % len(offsets)]
        cells = [draw(CLEAN if clean else VALUES) for clean in kinds]
        lines.append(separator.join([stamp, *(_quoted(c, separator) for c in cells)]))
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))
    content = text.encode()
    if draw(st.booleans()):
        content = b"\xef\xbb\xbf" + content  # a byte-order mark, as spreadsheets write
    params = {"name": "fuzzed"}
    if stamp_name != "timestamp" or draw(st.booleans()):
        params["timestamp_column"] = stamp_name
    return content, params


def _quoted(cell: str, separator: str) -> str:
    if cell.startswith('"'):
        return cell
    if separator in cell or "\n" in cell or '"' in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(Path(tmp_path_factory.mktemp("fuzz")) / "home") as live:
        yield live


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(upload=uploads())
def test_every_upload_gets_a_201_or_a_4xx_that_says_why(
    server: LiveServer, upload: tuple[bytes, dict[str, str]]
) -> None:
    content, params = upload
    with httpx.Client(base_url=server.url, timeout=60) as client:
        response = client.post(
            "/api/datasets", params=params, content=content, headers={"Content-Type": "text/csv"}
        )
        assert response.status_code == 201 or 400 <= response.status_code < 500, (
            response.status_code,
            response.text,
            content[:300],
        )
        if response.status_code != 201:
            assert response.json()["detail"], response.text
        # The same connection answers the next request: nothing was reset.
        assert client.get("/api/datasets").status_code == 200


def test_a_value_column_named_timestamp_beside_another_timestamp_column_is_a_4xx(
    server: LiveServer,
) -> None:
    lines = ["when,timestamp,demand"] + [
        f"{START + timedelta(hours=h)},{h * 3600},{h}" for h in range(60)
    ]
    with httpx.Client(base_url=server.url, timeout=60) as client:
        response = client.post(
            "/api/datasets",
            params={"name": "clash", "timestamp_column": "when"},
            content="\n".join(lines).encode(),
            headers={"Content-Type": "text/csv"},
        )
        assert response.status_code == 422, response.text
        assert "timestamp" in response.json()["detail"]
        assert "columns=" in response.json()["detail"]  # what to do about it
        assert client.get("/api/datasets").status_code == 200
