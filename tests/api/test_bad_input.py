"""Bodies the service cannot take, and requests it must not serve, through a real `serve`.

Each is answered with a 4xx that says why, and nothing already stored is lost."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.live import LiveServer, live_server
from tests.api.test_endpoints import SPEC
from tuner.core.settings import Settings
from tuner.store import Store

YAML = {"Content-Type": "application/yaml"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module: every case is a refusal, which changes nothing."""
    home = tmp_path_factory.mktemp("bad-input") / "home"
    Store.open(f"sqlite:///{home / 'tunedrive.db'}").close()  # the schema, before the server
    with live_server(home, "--no-dispatch") as running:
        yield running


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        stored = http.post("/api/experiments", json=SPEC)  # already stored before the case
        assert stored.status_code == 201
        before = http.get("/api/experiments", params={"limit": 500}).json()["items"]
        yield http
        after = http.get("/api/experiments", params={"limit": 500}).json()["items"]
        kept = {e["id"]: e for e in after}
        assert stored.json()["id"] in kept  # nothing stored was lost
        assert all(kept[e["id"]]["status"] == e["status"] for e in before), "a refusal changed"


ALIASES = """
name: bomb
trainable: toy_curve
fixed:
  a: &a [x, x, x, x, x, x, x, x, x]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]
search_space: {x: {choice: [0.1]}}
primary_metric: {name: score, goal: maximize}
budget: {max_total_runs: 1}
"""
SMALL_YAML = b"""
name: mine
trainable: toy_curve
search_space: {x: {choice: [0.1]}}
primary_metric: {name: score, goal: maximize}
budget: {max_total_runs: 1}
"""
BODIES: list[tuple[str, bytes, dict[str, str], int, str]] = [
    ("deep JSON", b"[" * 100_000 + b"]" * 100_000, JSON, 422, "nested more than 32 levels"),
    ("deep JSON object", b'{"a":' * 5000 + b"1" + b"}" * 5000, JSON, 422, "nested more than"),
    ("deep YAML", b"a: " + b"[" * 50_000 + b"]" * 50_000, YAML, 422, "nested more than"),
    (
        "deep block YAML",
        "".join(f"{' ' * i}k:\n" for i in range(200)).encode(),
        YAML,
        422,
        "nested",
    ),
    ("YAML aliases", ALIASES.encode(), YAML, 422, "anchors and aliases are not accepted"),
    ("JSON NaN", b'{"name": NaN}', JSON, 422, "NaN is not a number a spec accepts"),
    ("JSON Infinity", b'{"budget": {"max_total_runs": -Infinity}}', JSON, 422, "-Infinity"),
    ("YAML .inf", b"name: x\nfixed: {learning_rate: .inf}", YAML, 422, "fixed.learning_rate"),
    ("not UTF-8 YAML", b"name: \xff\xfe", YAML, 422, "not UTF-8 text"),
    ("control character", b'"\x1f"', YAML, 422, "not valid YAML"),
    ("plain text", b'{"name": "x"}', {"Content-Type": "text/plain"}, 415, "text/plain"),
    ("a form", b"name=x", {"Content-Type": "application/x-www-form-urlencoded"}, 415, "form"),
    ("no JSON at all", b"", JSON, 422, "the body is empty"),
]


@pytest.mark.parametrize(
    ("body", "headers", "status", "reason"),
    [case[1:] for case in BODIES],
    ids=[case[0] for case in BODIES],
)
def test_a_body_the_service_cannot_take_is_a_4xx_with_the_reason(
    client: httpx.Client, body: bytes, headers: dict[str, str], status: int, reason: str
) -> None:
    response = client.post("/api/experiments", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert reason in response.json()["detail"] + str(response.json()["errors"])


def origin_headers(server: LiveServer, **extra: str) -> dict[str, str]:
    return {"Origin": server.url, **extra}


def test_cross_site_writes_are_refused_same_origin_ones_served(
    server: LiveServer, client: httpx.Client
) -> None:
    url = "/api/experiments"
    foreign = client.post(url, json=SPEC, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and "cross-site" in foreign.json()["detail"]
    fetch = client.post(url, json=SPEC, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch.status_code == 403
    sandboxed = client.post(url, json=SPEC, headers={"Origin": "null"})
    assert sandboxed.status_code == 403
    queued = client.get(url).json()["items"][0]["id"]
    cancel = client.post(f"{url}/{queued}/cancel", headers={"Origin": "http://evil.example"})
    assert cancel.status_code == 403
    assert client.get(f"{url}/{queued}").json()["status"] == "queued"  # untouched
    # The dashboard's own requests: same origin, the content types it sends.
    same_origin = {"Origin": server.url, "Sec-Fetch-Site": "same-origin"}
    own = client.post(url, content=SMALL_YAML, headers={**YAML, **same_origin})
    assert own.status_code == 201, own.text
    canceled = client.post(f"{url}/{own.json()['id']}/cancel", headers=same_origin)
    assert canceled.status_code == 202 and canceled.json()["status"] == "canceled"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "10.0.0.1", ""])
def test_a_foreign_host_is_refused_without_a_token(server: LiveServer, host: str) -> None:
    response = httpx.get(f"{server.url}/api/experiments", headers={"Host": host})
    assert response.status_code == 400
    assert "not a loopback name" in response.json()["detail"]
    assert httpx.get(f"{server.url}/", headers={"Host": host}).status_code == 400


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:1234", "[::1]:8000"])
def test_loopback_names_are_served(server: LiveServer, host: str) -> None:
    assert httpx.get(f"{server.url}/api/experiments", headers={"Host": host}).status_code == 200


def test_with_a_token_any_host_may_ask(settings: Settings, store: Store) -> None:
    env = {"TUNEDRIVE_API_TOKENS": "t0ken"}
    with live_server(settings.home_dir, "--no-dispatch", env=env) as server:
        headers: dict[str, Any] = {"Host": "tunedrive.internal", "Authorization": "Bearer t0ken"}
        assert httpx.get(f"{server.url}/api/experiments", headers=headers).status_code == 200


FFN: dict[str, Any] = {
    "name": "values",
    "trainable": "ffn",
    "search_space": {"latent_dim": {"choice": [5, 10]}},
    "primary_metric": {"name": "val_mape", "goal": "minimize"},
    "budget": {"max_total_runs": 2},
}
VALUES = [
    ({"fixed": {"T": -5}}, "fixed.T", "-5 is below 1"),
    ({"fixed": {"T": "abc"}}, "fixed.T", "'abc' is not a number"),
    ({"fixed": {"horizon": 0}}, "fixed.horizon", "0 is below 1"),
    ({"fixed": {"T": 5000}}, "fixed.T", "does not fit the validation split"),
    ({"fixed": {"learning_rate": -1}}, "fixed.learning_rate", "-1 is at or below 0"),
    ({"fixed": {"batch_size": 0}}, "fixed.batch_size", "0 is below 1"),
    ({"fixed": {"optimizer": "adamw"}}, "fixed.optimizer", "'adamw' is not allowed"),
    (
        {"search_space": {"latent_dim": {"uniform": [0, 10]}}},
        "search_space.latent_dim.uniform",
        "values below 1 are outside latent_dim's domain (int 1..4096)",
    ),
    (
        {"search_space": {"T": {"choice": [72, 2000]}}},
        "search_space.T.choice",
        "T + horizon = 2000 + 24",
    ),
    ({"resources": {"cpu": 1000}}, "resources.cpu", "no node of this machine has that many"),
    ({"resources": {"gpu": 4}}, "resources.gpu", "4 per run"),
]


@pytest.mark.parametrize(
    ("change", "field", "message"), VALUES, ids=[case[1] + ":" + case[2] for case in VALUES]
)
def test_values_outside_a_domain_are_refused_naming_the_field(
    client: httpx.Client, change: dict[str, Any], field: str, message: str
) -> None:
    response = client.post("/api/experiments", json={**FFN, **change})
    assert response.status_code == 422, response.text
    problems = response.json()["errors"]
    assert any(p["field"] == field and message in p["message"] for p in problems), problems


def test_extend_and_warm_start_refusals_name_what_to_do(client: httpx.Client) -> None:
    queued = client.post("/api/experiments", json=SPEC).json()["id"]
    busy = client.post(f"/api/experiments/{queued}/extend", json={"max_total_runs": 9})
    assert busy.status_code == 409 and "only a finished experiment" in busy.json()["detail"]
    zero = client.post(f"/api/experiments/{queued}/extend", json={"max_total_runs": 0})
    assert zero.status_code == 422 and "max_total_runs" in zero.text
    unknown = client.post("/api/experiments", json={**SPEC, "warm_start": {"from": ["nope"]}})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "warm_start.from.0", unknown.text
