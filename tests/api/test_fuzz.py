"""Schemathesis against the service's own OpenAPI schema: no 5xx, no response off its schema."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import tests.tuner.toy  # noqa: F401 - a trainable to submit
from api.app import create_app
from tuner.core.settings import Settings
from tuner.core.spec import parse_spec
from tuner.store import NewMetricRow, RunUpdate, Store, utcnow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
REQUESTS: list[int] = []


def seeded_app() -> object:
    """An app over a real SQLite store holding one experiment with runs and metrics."""
    home = Path(tempfile.mkdtemp(prefix="tunedrive-fuzz-"))
    store = Store.open(f"sqlite:///{home / 'fuzz.db'}")
    spec = parse_spec(
        {
            "name": "fuzz",
            "trainable": "toy_curve",
            "search_space": {"x": {"uniform": [0, 1]}},
            "primary_metric": {"name": "score", "goal": "maximize"},
            "budget": {"max_total_runs": 2},
        }
    )
    experiment = store.create_experiment(spec)
    now = utcnow()
    store.apply(
        experiment.id,
        [
            RunUpdate(
                "t0",
                status="completed",
                number=1,
                params={"x": 0.5},
                best_metric=0.4,
                epochs=2,
                started_at=now,
                finished_at=now,
                artifact_dir="t0",
            )
        ],
        [NewMetricRow("t0", 1, s, 0.2 * s, {"score": 0.2 * s}, now) for s in (1, 2)],
    )
    return create_app(Settings(home=home), store)


def on_loopback(app: Any) -> Any:
    """Schemathesis' client calls itself `testserver`; the service, with no token, answers only
    loopback names. Requests arrive here as from a local client, guard included."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
            scope = {**scope, "headers": [*headers, (b"host", b"127.0.0.1:8000")]}
        await app(scope, receive, send)

    return asgi


schema = schemathesis.openapi.from_asgi("/openapi.json", on_loopback(seeded_app()))


# One test per operation under its own id (schemathesis' own items share one node id, which
# pytest-xdist runs once); every operation gets positive and negative cases, as by default.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_api_conforms_to_its_schema(operation: Any) -> None:
    cases = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in GenerationMode))

    @given(case=cases)
    @settings(max_examples=70, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)
    def conforms(case: schemathesis.Case) -> None:
        response = case.call()
        REQUESTS.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    conforms()


def test_enough_requests_were_generated() -> None:
    print(f"schemathesis sent {len(REQUESTS)} requests; status codes: {sorted(set(REQUESTS))}")
    assert len(REQUESTS) >= 500, len(REQUESTS)
    assert not [code for code in REQUESTS if code >= 500]
