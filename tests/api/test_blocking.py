"""Blocking work off the event loop: one thread for the store, a process for parsing, and
identical concurrent reads sharing one round trip, never across a write."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api import blocking
from api.app import create_app
from tests.seeding import seed_experiment
from tuner.core.settings import Settings
from tuner.store import Store


@pytest.fixture(autouse=True)
def fresh_pools() -> Iterator[None]:
    yield
    blocking.shutdown()


class SlowRead:
    """A read that takes a while and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, value: str) -> str:
        self.calls += 1
        time.sleep(0.2)
        return f"{value}#{self.calls}"


def test_identical_concurrent_reads_share_one_call() -> None:
    read = SlowRead()

    async def together() -> list[str]:
        return await asyncio.gather(*(blocking.shared_read("k", read, "v") for _ in range(8)))

    assert asyncio.run(together()) == ["v#1"] * 8
    assert read.calls == 1


def test_different_keys_are_not_shared() -> None:
    read = SlowRead()

    async def together() -> list[str]:
        return await asyncio.gather(
            blocking.shared_read("a", read, "a"), blocking.shared_read("b", read, "b")
        )

    asyncio.run(together())
    assert read.calls == 2


def test_a_read_after_a_write_is_not_served_by_one_started_before() -> None:
    read = SlowRead()

    async def around_a_write() -> tuple[str, str]:
        before = asyncio.ensure_future(blocking.shared_read("k", read, "v"))
        await asyncio.sleep(0.05)  # the first read is under way
        blocking.note_write()
        after = await blocking.shared_read("k", read, "v")
        return await before, after

    before, after = asyncio.run(around_a_write())
    assert (before, after) == ("v#1", "v#2") and read.calls == 2


def test_a_failed_read_fails_every_sharer_and_the_next_read_runs_again() -> None:
    calls = 0

    def failing(_: str) -> str:
        nonlocal calls
        calls += 1
        time.sleep(0.1)
        if calls == 1:
            raise LookupError("gone")
        return "back"

    async def scenario() -> tuple[list[Any], str]:
        shared = await asyncio.gather(
            *(blocking.shared_read("k", failing, "v") for _ in range(3)), return_exceptions=True
        )
        return shared, await blocking.shared_read("k", failing, "v")

    shared, again = asyncio.run(scenario())
    assert all(isinstance(e, LookupError) for e in shared) and again == "back" and calls == 2


def test_store_work_never_runs_on_the_event_loop_thread() -> None:
    async def where() -> tuple[int, int]:
        return threading.get_ident(), await blocking.off_loop(threading.get_ident)

    loop_thread, worker_thread = asyncio.run(where())
    assert loop_thread != worker_thread


def test_parsing_runs_in_another_process() -> None:
    assert asyncio.run(blocking.in_process(os.getpid)) != os.getpid()


def test_the_experiment_read_shares_a_round_trip(tmp_path: Any) -> None:
    """Through the app: 8 dashboards polling one experiment at once cost one store call."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    experiment_id, _ = seed_experiment(url, runs=20, epochs=12)
    store = Store.open(url)
    calls = 0
    real = store.experiment_with_best

    def counted(experiment: str) -> Any:
        nonlocal calls
        calls += 1
        time.sleep(0.2)
        return real(experiment)

    store.experiment_with_best = counted  # type: ignore[method-assign]
    app = create_app(Settings(home=tmp_path), store)

    async def polls() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            path = f"/api/experiments/{experiment_id}"
            return await asyncio.gather(*(client.get(path) for _ in range(8)))

    responses = asyncio.run(polls())
    assert [r.status_code for r in responses] == [200] * 8
    assert len({r.text for r in responses}) == 1 and calls == 1
    store.close()
