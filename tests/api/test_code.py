"""Code snapshots, command-trial submissions and run logs through a real `tunedrive serve`."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.live import live_server
from tuner.core.settings import Settings
from tuner.store import RunUpdate, Store

GZIP = {"Content-Type": "application/gzip"}


def _archive(*members: tuple[str, bytes], link: tuple[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link[0])
            info.type, info.linkname = tarfile.SYMTYPE, link[1]
            archive.addfile(info)
    return out.getvalue()


def _stored(settings: Settings) -> list[Path]:
    folder = settings.resolved_storage_path / "_code"
    return sorted(folder.iterdir()) if folder.is_dir() else []


@pytest.fixture
def server(settings: Settings, store: Store) -> Iterator[tuple[httpx.Client, str]]:
    env = {"TUNEDRIVE_MAX_CODE_BYTES": "20000"}
    with (
        live_server(settings.home_dir, "--no-dispatch", env=env) as live,
        httpx.Client(base_url=live.url, timeout=30) as http,
    ):
        yield http, live.url


def _command_spec(code: str) -> dict:
    return {
        "name": "byo",
        "trial": {"command": "python train.py --lr ${{search_space.lr}}", "code": code},
        "search_space": {"lr": {"choice": [0.1, 0.2]}},
        "primary_metric": {"name": "loss", "goal": "minimize"},
        "budget": {"max_total_runs": 2},
    }


def test_upload_is_content_addressed_and_deduplicated(
    server: tuple[httpx.Client, str], settings: Settings
) -> None:
    client, _ = server
    first = client.post("/api/code", content=_archive(("train.py", b"print(1)")), headers=GZIP)
    assert first.status_code == 201 and first.json()["files"] == 1
    again = client.post("/api/code", content=_archive(("train.py", b"print(1)")), headers=GZIP)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert [p.name for p in _stored(settings)] == [f"{first.json()['id']}.tar.gz"]
    submitted = client.post("/api/experiments", json=_command_spec(first.json()["id"]))
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["trainable"] == "command"


@pytest.mark.parametrize(
    ("archive", "says"),
    [
        (_archive(("../../etc/cron.d/x", b"x")), "'..'"),
        (_archive(("/abs.py", b"x")), "absolute path"),
        (_archive(("a.py", b"x"), link=("data", "/etc")), "outside the snapshot"),
        (_archive(("big.bin", b"0" * 30_000)), "more than 20000 bytes"),
    ],
    # Named ids: the archives' gzip headers hold a time, so byte ids differ between xdist workers.
    ids=["dot-dot", "absolute", "link-out", "too-big"],
)
def test_unsafe_or_large_uploads_are_refused_and_nothing_is_stored(
    server: tuple[httpx.Client, str], settings: Settings, archive: bytes, says: str
) -> None:
    client, _ = server
    refused = client.post("/api/code", content=archive, headers=GZIP)
    assert refused.status_code in (413, 422) and says in refused.json()["detail"]
    assert _stored(settings) == []


def test_a_body_over_the_limit_is_413(server: tuple[httpx.Client, str], settings: Settings) -> None:
    client, _ = server
    refused = client.post("/api/code", content=b"\x1f\x8b" + b"0" * 30_000, headers=GZIP)
    assert refused.status_code == 413 and _stored(settings) == []
    form = client.post("/api/code", content=b"x", headers={"Content-Type": "text/plain"})
    assert form.status_code == 415


def test_an_unknown_snapshot_is_refused_by_field(server: tuple[httpx.Client, str]) -> None:
    client, _ = server
    refused = client.post("/api/experiments", json=_command_spec("c" * 64))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "trial.code"


def test_a_cross_site_command_submission_is_refused(server: tuple[httpx.Client, str]) -> None:
    client, _url = server
    code = client.post("/api/code", content=_archive(("train.py", b"1")), headers=GZIP).json()
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = client.post("/api/experiments", json=_command_spec(code["id"]), headers=headers)
        assert refused.status_code == 403
        upload = client.post(
            "/api/code", content=_archive(("x.py", b"2")), headers={**GZIP, **headers}
        )
        assert upload.status_code == 403
    assert client.get("/api/experiments").json()["items"] == []


def test_commands_can_be_turned_off(settings: Settings, store: Store) -> None:
    env = {"TUNEDRIVE_ALLOW_COMMANDS": "false"}
    with (
        live_server(settings.home_dir, "--no-dispatch", env=env) as live,
        httpx.Client(base_url=live.url, timeout=30) as client,
    ):
        upload = client.post("/api/code", content=_archive(("t.py", b"1")), headers=GZIP)
        assert upload.status_code == 403 and "TUNEDRIVE_ALLOW_COMMANDS" in upload.json()["detail"]
        refused = client.post("/api/experiments", json=_command_spec("d" * 64))
        assert refused.status_code == 403
        assert client.get("/api/trainables").status_code == 200


def test_logs_tail_and_the_trainables_listing(
    server: tuple[httpx.Client, str], settings: Settings, store: Store
) -> None:
    client, _ = server
    code = client.post("/api/code", content=_archive(("train.py", b"1")), headers=GZIP).json()
    experiment = client.post("/api/experiments", json=_command_spec(code["id"])).json()
    store.apply(
        experiment["id"],
        [RunUpdate("t0", status="completed", number=1, params={"lr": 0.1}, artifact_dir="t0")],
        [],
    )
    folder = settings.resolved_storage_path / experiment["id"] / "t0"
    folder.mkdir(parents=True)
    (folder / "stderr.log").write_text("".join(f"line {i}\n" for i in range(500)))
    (run,) = client.get(f"/api/experiments/{experiment['id']}/runs").json()["items"]
    tail = client.get(f"/api/runs/{run['id']}/logs", params={"stream": "stderr", "tail": 3})
    assert tail.text == "line 497\nline 498\nline 499\n"
    followed = client.get(
        f"/api/runs/{run['id']}/logs", params={"stream": "stderr", "tail": 1, "follow": True}
    )
    assert followed.text == "line 499\n"  # the run has ended: following stops at once
    assert client.get(f"/api/runs/{run['id']}/logs").text == ""  # no stdout written
    listed = {t["name"]: t for t in client.get("/api/trainables").json()}
    assert listed["command"]["open_hyperparameters"] and listed["command"]["metrics"] == []
    assert listed["ffn"]["hyperparameters"]["learning_rate"]["default"] == 1e-3
    assert (
        listed["ffn"]["training_length"] == "max_epochs" and "val_mase" in listed["ffn"]["metrics"]
    )
