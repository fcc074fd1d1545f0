"""The REST API through a real `tunedrive serve` process on loopback over a real SQLite store.

The tests seed runs by writing to the same database file the server reads. These servers run
without a dispatcher so that submitted experiments stay queued where a test needs it; the real
driver path is in test_server.py and test_crashes.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.routers.runs import artifact_file, run_files
from tests.api.live import live_server
from tuner.core.settings import Settings
from tuner.store import NewMetricRow, RunUpdate, Store, utcnow

SPEC: dict[str, Any] = {
    "name": "api-test",
    "trainable": "toy_curve",
    "search_space": {"x": {"uniform": [0.1, 1.0]}},
    "primary_metric": {"name": "score", "goal": "maximize"},
    "budget": {"max_total_runs": 3, "max_concurrent_runs": 1},
}
YAML_SPEC = """
name: yaml-test
trainable: toy_curve
search_space: {x: {choice: [0.1, 0.2]}}
primary_metric: {name: score, goal: maximize}
budget: {max_total_runs: 2}
"""


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[httpx.Client]:
    # `store` first: the schema exists before the server opens the same file.
    with (
        live_server(settings.home_dir, "--no-dispatch") as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        yield http


def seed_runs(store: Store, experiment_id: str, values: list[float | None]) -> None:
    start = utcnow()
    for i, value in enumerate(values):
        tid = f"t{i}"
        rows = [
            NewMetricRow(tid, 1, s, value, {"score": value, "loss": 1.0 / s}, start)
            for s in (1, 2, 3)
        ]
        update = RunUpdate(
            tid,
            status="completed",
            number=i + 1,
            params={"x": i},
            best_metric=value,
            epochs=3,
            started_at=start + timedelta(seconds=10 - i),
            finished_at=start,
            artifact_dir=tid,
        )
        store.apply(experiment_id, [update], rows if value is not None else [])


def test_submit_json_and_yaml(client: httpx.Client) -> None:
    created = client.post("/api/experiments", json=SPEC)
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "queued" and body["name"] == "api-test" and body["best_run"] is None
    assert set(body["run_counts"]) == {
        "queued",
        "running",
        "completed",
        "early_terminated",
        "failed",
        "canceled",
    }
    yaml_created = client.post(
        "/api/experiments", content=YAML_SPEC, headers={"Content-Type": "application/yaml"}
    )
    assert yaml_created.status_code == 201 and yaml_created.json()["name"] == "yaml-test"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"search_space": {"T": {"choice": []}}}, "search_space.T"),
        ({"budget": {"max_total_runs": 0}}, "budget.max_total_runs"),
        ({"primary_metric": {"name": "acc", "goal": "maximize"}}, "primary_metric.name"),
    ],
)
def test_invalid_spec_is_422_naming_the_field(
    client: httpx.Client, change: dict[str, Any], field: str
) -> None:
    response = client.post("/api/experiments", json={**SPEC, **change})
    assert response.status_code == 422
    assert field in response.json()["detail"]
    assert any(e["field"].startswith(field) for e in response.json()["errors"])


def test_broken_bodies_are_422(client: httpx.Client) -> None:
    assert (
        client.post(
            "/api/experiments", content=b"{nope", headers={"Content-Type": "application/json"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/experiments", content=b"[1, 2]", headers={"Content-Type": "application/json"}
        ).status_code
        == 422
    )


def test_list_filter_and_paging(client: httpx.Client) -> None:
    ids = [client.post("/api/experiments", json=SPEC).json()["id"] for _ in range(3)]
    client.post(f"/api/experiments/{ids[0]}/cancel")
    page = client.get("/api/experiments", params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["limit"] == 2
    assert [
        e["id"]
        for e in client.get("/api/experiments", params={"status": "canceled"}).json()["items"]
    ] == [ids[0]]
    assert len(client.get("/api/experiments", params={"offset": 2}).json()["items"]) == 1
    assert client.get("/api/experiments", params={"status": "bogus"}).status_code == 422
    assert client.get("/api/experiments", params={"limit": 0}).status_code == 422


def test_cancel_is_202_then_409(client: httpx.Client) -> None:
    experiment_id = client.post("/api/experiments", json=SPEC).json()["id"]
    first = client.post(f"/api/experiments/{experiment_id}/cancel")
    assert first.status_code == 202 and first.json()["status"] == "canceled"
    again = client.post(f"/api/experiments/{experiment_id}/cancel")
    assert again.status_code == 409 and "already canceled" in again.json()["detail"]


def test_unknown_ids_are_404(client: httpx.Client) -> None:
    for path in (
        "/api/experiments/nope",
        "/api/experiments/nope/runs",
        "/api/experiments/nope/best",
        "/api/runs/nope",
        "/api/runs/nope/metrics",
        "/api/runs/nope/artifacts",
    ):
        response = client.get(path)
        assert response.status_code == 404 and "nope" in response.json()["detail"], path
    assert client.post("/api/experiments/nope/cancel").status_code == 404


def test_runs_sorted_by_metric_and_start_with_paging(client: httpx.Client, store: Store) -> None:
    experiment_id = client.post("/api/experiments", json=SPEC).json()["id"]
    seed_runs(store, experiment_id, [0.5, 0.9, None, 0.7])
    by_metric = client.get(
        f"/api/experiments/{experiment_id}/runs", params={"sort": "metric"}
    ).json()["items"]
    assert [r["best_metric"] for r in by_metric] == [0.9, 0.7, 0.5, None]  # maximize: best first
    by_start = client.get(
        f"/api/experiments/{experiment_id}/runs", params={"sort": "started_at"}
    ).json()["items"]
    assert [r["number"] for r in by_start] == [4, 3, 2, 1]
    page = client.get(
        f"/api/experiments/{experiment_id}/runs", params={"sort": "metric", "limit": 1, "offset": 1}
    )
    assert [r["best_metric"] for r in page.json()["items"]] == [0.7]
    for offset, expected in [(2, [0.5, None]), (3, [None]), (4, [])]:  # across the unscored
        page = client.get(
            f"/api/experiments/{experiment_id}/runs",
            params={"sort": "metric", "limit": 2, "offset": offset},
        )
        assert [r["best_metric"] for r in page.json()["items"]] == expected, offset
    best = client.get(f"/api/experiments/{experiment_id}/best").json()
    assert best["best_metric"] == 0.9 and best["number"] == 2
    experiment = client.get(f"/api/experiments/{experiment_id}").json()
    assert experiment["best_run"]["id"] == best["id"] and experiment["run_counts"]["completed"] == 4


def test_metrics_series_and_downsampling(client: httpx.Client, store: Store) -> None:
    experiment_id = client.post("/api/experiments", json=SPEC).json()["id"]
    seed_runs(store, experiment_id, [0.5])
    run_id = client.get(f"/api/experiments/{experiment_id}/runs").json()["items"][0]["id"]
    series = client.get(f"/api/runs/{run_id}/metrics").json()
    assert series["steps"] == [1, 2, 3] and series["series"]["score"] == [0.5] * 3
    thinned = client.get(f"/api/runs/{run_id}/metrics", params={"max_points": 2}).json()
    assert thinned["downsampled"] and thinned["steps"][-1] == 3 and len(thinned["steps"]) <= 3


def test_artifacts_list_download_and_no_escape(
    client: httpx.Client, store: Store, settings: Settings
) -> None:
    experiment_id = client.post("/api/experiments", json=SPEC).json()["id"]
    seed_runs(store, experiment_id, [0.5])
    run_id = client.get(f"/api/experiments/{experiment_id}/runs").json()["items"][0]["id"]
    folder = settings.resolved_storage_path / experiment_id / "t0"
    folder.mkdir(parents=True)
    (folder / "forecast.csv").write_text("origin,horizon_step,predicted,actual\n")
    (settings.resolved_storage_path / "secret.txt").write_text("no")
    assert client.get(f"/api/runs/{run_id}/artifacts").json() == [
        {"name": "forecast.csv", "size": 37}
    ]
    download = client.get(f"/api/runs/{run_id}/artifacts/forecast.csv")
    assert download.status_code == 200 and download.text.startswith("origin,")
    assert client.get(f"/api/runs/{run_id}/artifacts/model.keras").status_code == 404
    # Names that route to the download and must be stopped by its guard, not by the router.
    secret = settings.resolved_storage_path / "secret.txt"
    (folder / "escape.csv").symlink_to(secret)  # a link inside the folder, pointing out of it
    (folder / ".hidden").write_text("no")
    for name in ("escape.csv", ".hidden"):  # (clients fold "." and ".." away themselves)
        refused = client.get(f"/api/runs/{run_id}/artifacts/{name}")
        assert refused.status_code == 404 and "no artifact named" in refused.json()["detail"]


def test_the_artifact_guard_keeps_to_the_run_folder(tmp_path: Path) -> None:
    folder = tmp_path / "runs" / "t0"
    folder.mkdir(parents=True)
    (folder / "model.keras").write_text("m")
    (folder / ".env").write_text("s")
    (tmp_path / "secret.txt").write_text("s")
    (folder / "link.txt").symlink_to(tmp_path / "secret.txt")
    (folder / "sub").mkdir()
    (folder / "members" / "seed-1").mkdir(parents=True)
    (folder / "members" / "seed-1" / "model.keras").write_text("m1")
    (folder / "out").symlink_to(tmp_path, target_is_directory=True)  # a link to a folder
    assert artifact_file(folder, "model.keras") == folder / "model.keras"
    nested = artifact_file(folder, "members/seed-1/model.keras")
    assert nested == folder / "members" / "seed-1" / "model.keras"
    refused = ["link.txt", ".env", "..", "../secret.txt", "../../secret.txt", "sub", "", "a\\b"]
    refused += ["members/../../secret.txt", "out/secret.txt", "/etc/passwd", "members//x"]
    refused += ["members/./seed-1/model.keras", "members/seed-1"]
    for name in refused:
        assert artifact_file(folder, name) is None, name
    listed = [name for name, _ in run_files(folder)]
    assert listed == ["members/seed-1/model.keras", "model.keras"]  # no link, no hidden file


def test_body_limit_is_413(settings: Settings) -> None:
    with live_server(
        settings.home_dir, "--no-dispatch", env={"TUNEDRIVE_MAX_BODY_BYTES": "200"}
    ) as server:
        response = httpx.post(
            f"{server.url}/api/experiments", json={**SPEC, "description": "x" * 500}
        )
        assert response.status_code == 413 and "over 200 bytes" in response.json()["detail"]
        assert httpx.get(f"{server.url}/api/experiments").json()["items"] == []  # nothing stored


def test_tokens_are_required_and_compared(settings: Settings) -> None:
    with live_server(
        settings.home_dir, "--no-dispatch", env={"TUNEDRIVE_API_TOKENS": "s3cret-token,other"}
    ) as server:
        url = f"{server.url}/api/experiments"
        missing = httpx.get(url)
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        wrong = httpx.get(url, headers={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 401 and "s3cret" not in wrong.text
        for token in ("s3cret-token", "other"):
            assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert httpx.post(url, json=SPEC).status_code == 401
        assert httpx.get(f"{server.url}/api/health").status_code == 200  # no token for health
    assert "s3cret-token" not in server.output


def test_health_and_openapi(client: httpx.Client) -> None:
    assert client.get("/api/health").json()["database"] == "ok"
    schema = client.get("/openapi.json").json()
    assert {
        "/api/experiments",
        "/api/experiments/{experiment_id}/runs",
        "/api/runs/{run_id}/metrics",
    } <= set(schema["paths"])
    assert client.get("/docs").status_code == 200


def test_settings_never_show_secrets(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path, database_url="postgresql://u:pw-secret@127.0.0.1/db", api_tokens="tok-secret"
    )  # type: ignore[arg-type]
    assert "pw-secret" not in repr(settings) and "tok-secret" not in repr(settings)
    assert settings.resolved_database_url.endswith("pw-secret@127.0.0.1/db")


def test_a_trial_groups_members_are_listed_downloaded_and_archived_through_the_sdk(
    client: httpx.Client, store: Store, settings: Settings, tmp_path: Path
) -> None:
    import tarfile

    from tuner.client import Client

    experiment_id = client.post("/api/experiments", json=SPEC).json()["id"]
    seed_runs(store, experiment_id, [0.5])
    run_id = client.get(f"/api/experiments/{experiment_id}/runs").json()["items"][0]["id"]
    folder = settings.resolved_storage_path / experiment_id / "t0"
    (folder / "members" / "fold-1-seed-2").mkdir(parents=True)
    (folder / "members" / "fold-1-seed-2" / "model.keras").write_bytes(b"member")
    (folder / "model.keras").write_bytes(b"ensemble")
    sdk = Client(str(client.base_url))
    assert [a.name for a in sdk.artifacts(run_id)] == [
        "members/fold-1-seed-2/model.keras",
        "model.keras",
    ]
    saved = sdk.download_artifact(run_id, "members/fold-1-seed-2/model.keras", tmp_path)
    assert saved == tmp_path / "model.keras" and saved.read_bytes() == b"member"
    archive = sdk.download_run_archive(run_id, tmp_path)
    with tarfile.open(archive) as opened:
        assert sorted(opened.getnames()) == ["members/fold-1-seed-2/model.keras", "model.keras"]
    sdk.close()


def test_a_finished_experiment_is_deleted_with_its_files_a_queued_one_is_refused(
    client: httpx.Client, store: Store, settings: Settings
) -> None:
    experiment_id = client.post("/api/experiments", json=SPEC).json()["id"]
    seed_runs(store, experiment_id, [0.5, 0.7])
    folder = settings.resolved_storage_path / experiment_id / "t0"
    folder.mkdir(parents=True)
    (folder / "model.keras").write_text("m")
    busy = client.delete(f"/api/experiments/{experiment_id}")
    assert busy.status_code == 409 and "cancel it" in busy.json()["detail"]
    assert len(client.get(f"/api/experiments/{experiment_id}/runs").json()["items"]) == 2
    client.post(f"/api/experiments/{experiment_id}/cancel")
    assert client.delete(f"/api/experiments/{experiment_id}").status_code == 204
    assert client.get(f"/api/experiments/{experiment_id}").status_code == 404
    assert not (settings.resolved_storage_path / experiment_id).exists()
    from sqlalchemy import text

    with store.engine.connect() as connection:  # the store has no row of it left
        left = connection.execute(text("SELECT count(*) FROM runs")).scalar()
        rows = connection.execute(text("SELECT count(*) FROM metric_rows")).scalar()
    assert (left, rows) == (0, 0)
    assert client.delete(f"/api/experiments/{experiment_id}").status_code == 404


def test_check_says_what_a_spec_would_run_and_queues_nothing(client: httpx.Client) -> None:
    checked = client.post("/api/experiments/check", json=SPEC)
    assert checked.status_code == 200, checked.text
    assert checked.json()["planned_runs"] == SPEC["budget"]["max_total_runs"]
    refused = client.post(
        "/api/experiments/check", json={**SPEC, "resources": {"cpu": 1, "gpu": 64}}
    )
    assert refused.status_code == 422 and "resources.gpu" in refused.text
    assert client.get("/api/experiments").json()["items"] == []
