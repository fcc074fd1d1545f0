"""The store on a real PostgreSQL (Debian's, started in a temporary directory)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text

from tests.api.live import live_server
from tests.postgres import postgres_bin, postgres_server
from tests.tuner.toy import grid_spec
from tuner.core.spec import parse_spec
from tuner.store import Store
from tuner.store.base import make_engine, upgrade_schema

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(postgres_bin() is None, reason="needs Debian's PostgreSQL (make test)"),
]
SPEC = grid_spec("pg")


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture
def pg_url(server_url: str) -> str:
    """The same database, emptied: every test starts from no schema at all."""
    engine = create_engine(server_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
    engine.dispose()
    return server_url


def test_migrations_apply_from_empty_and_upgrade_in_place(pg_url: str) -> None:
    engine = make_engine(pg_url)
    upgrade_schema(engine, "0001")  # the first release's schema, with an experiment in it
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO experiments (id, name, trainable, status, spec, goal, created_at, "
                "cancel_requested, driver_attempts) VALUES ('old', 'kept', 'toy_curve', "
                "'completed', :spec, 'maximize', now(), false, 1)"
            ),
            {"spec": '{"name": "kept"}'},
        )
    engine.dispose()
    store = Store.open(pg_url)  # upgrades in place to the newest revision
    kept = store.get_experiment("old")
    assert kept.name == "kept" and kept.run_counts["completed"] == 0
    inspector = inspect(store.engine)
    assert {"datasets", "experiments", "runs", "metric_rows"} <= set(inspector.get_table_names())
    assert "ix_runs_experiment_status" in {i["name"] for i in inspector.get_indexes("runs")}
    Store.open(pg_url).close()  # and again: nothing to do
    store.close()


def test_concurrent_claims_take_each_experiment_once(pg_url: str) -> None:
    setup = Store.open(pg_url)
    ids = {setup.create_experiment(parse_spec(SPEC)).id for _ in range(40)}
    claims: list[tuple[str, str]] = []

    def claim_all(name: str) -> None:
        store = Store.open(pg_url, migrate=False)  # its own engine and connections
        while (record := store.claim_queued(name)) is not None:
            claims.append((name, record.id))
        store.close()

    threads = [threading.Thread(target=claim_all, args=(f"d{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [experiment_id for _, experiment_id in claims]
    assert sorted(claimed) == sorted(ids)  # every experiment, none twice
    assert len({name for name, _ in claims}) > 1
    setup.close()


def test_two_dispatchers_run_four_experiments_exactly_once(pg_url: str, tmp_path: Path) -> None:
    Store.open(pg_url).close()
    env = {
        "TUNEDRIVE_DATABASE_URL": pg_url,
        "TUNEDRIVE_STORAGE_PATH": str(tmp_path / "runs"),
        "TUNEDRIVE_MAX_CONCURRENT_EXPERIMENTS": "2",  # two machines of two cores, on one
    }
    with (
        live_server(tmp_path / "one", env=env) as first,
        live_server(tmp_path / "two", env=env) as second,
    ):
        submit = f"{first.url}/api/experiments"
        ids = [httpx.post(submit, json={**SPEC, "name": f"pg-{i}"}).json()["id"] for i in range(4)]
        deadline = time.monotonic() + 300
        store = Store.open(pg_url, migrate=False)
        while any(store.get_experiment(i).status in ("queued", "running") for i in ids):
            assert time.monotonic() < deadline, [store.get_experiment(i).status for i in ids]
            time.sleep(1)
        records = [store.get_experiment(i) for i in ids]
        assert [r.status for r in records] == ["completed"] * 4
        assert [r.driver_attempts for r in records] == [1] * 4  # one driver each, never two
        for record in records:
            runs = store.list_runs(record.id)
            assert len(runs) == 2 and all(r.attempts == 1 for r in runs)
        assert store.count_metric_rows(ids[0]) == 2 * 3
        with store.engine.connect() as connection:
            owners = (
                connection.execute(
                    text("SELECT DISTINCT claimed_by FROM experiments WHERE id = ANY(:ids)"),
                    {"ids": ids},
                )
                .scalars()
                .all()
            )
        assert len(owners) == 2  # both dispatchers took work
        store.close()
    assert pg_url.split(":")[2].split("@")[0] not in first.output + second.output  # no password
