"""Shared fixtures: a real SQLite store in a temporary home, and one real local Ray per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.tuner.toy  # noqa: F401 - registers the toy trainables
from tuner.core.settings import Settings

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    data_dir = os.environ.get("TUNEDRIVE_DATA_DIR") or (
        str(SHARED_DATA) if SHARED_DATA.exists() else None
    )
    return Settings(home=tmp_path / "home", data_dir=data_dir, cancel_poll_seconds=0.5)


@pytest.fixture
def store(settings: Settings) -> Iterator[object]:
    from tuner.store import Store

    opened = Store.open(settings.resolved_database_url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    import logging

    import ray

    ray.init(
        address="local",  # never a Ray a server left running on the machine
        num_cpus=4,
        include_dashboard=False,
        logging_level=logging.WARNING,
        log_to_driver=False,
    )
    yield
    ray.shutdown()
