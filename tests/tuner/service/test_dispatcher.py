"""Dispatcher decisions with hand-made launchers (real drivers: tests/api/test_crashes.py)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.api.test_endpoints import SPEC
from tuner.core.settings import Settings
from tuner.core.spec import parse_spec
from tuner.service.dispatcher import Dispatcher
from tuner.service.launchers import ProcessLauncher
from tuner.store import Store


@dataclass
class Finished:
    code: int | None = None

    def poll(self) -> int | None:
        return self.code

    def kill(self) -> None:
        self.code = -9


@dataclass
class FlakyLauncher:
    failures: int
    started: list[str] = field(default_factory=list)

    def start(self, experiment_id: str, generation: int) -> Finished:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("No available agent to submit job, please try again later.")
        self.started.append(experiment_id)
        return Finished()


def test_a_driver_that_cannot_start_goes_back_to_the_queue(
    settings: Settings, store: Store
) -> None:
    experiment = store.create_experiment(parse_spec(SPEC))
    launcher = FlakyLauncher(failures=1)
    dispatcher = Dispatcher(settings, store, launcher=launcher)
    dispatcher.step()
    record = store.get_experiment(experiment.id)
    assert record.status == "queued" and record.driver_attempts == 0 and not launcher.started
    dispatcher.step()
    assert launcher.started == [experiment.id]
    assert store.get_experiment(experiment.id).status == "running"


def test_at_most_the_configured_number_of_drivers(settings: Settings, store: Store) -> None:
    ids = [store.create_experiment(parse_spec(SPEC)).id for _ in range(3)]
    launcher = FlakyLauncher(failures=0)
    wider = settings.model_copy(update={"max_concurrent_experiments": 2})
    Dispatcher(wider, store, launcher=launcher).step()
    assert launcher.started == ids[:2]  # oldest first
    assert store.get_experiment(ids[2]).status == "queued"


def dispatch_until_ended(dispatcher: Dispatcher, store: Store, experiment_id: str) -> Any:
    """Steps the dispatcher until the experiment has ended (60 s at most); its last record."""
    deadline = time.monotonic() + 60
    while (record := store.get_experiment(experiment_id)).status in ("queued", "running"):
        assert time.monotonic() < deadline, record
        dispatcher.step()
        time.sleep(0.2)
    return record


class CrashingAtStart(ProcessLauncher):
    """Real driver processes that die before they reach the store (an import error, say)."""

    def command(self, experiment_id: str, generation: int) -> list[str]:
        return [sys.executable, "-c", "print('ImportError: no module named nowhere'); exit(3)"]


def test_a_driver_that_dies_at_start_up_is_given_up_after_three_starts(
    settings: Settings, store: Store
) -> None:
    experiment = store.create_experiment(parse_spec(SPEC))
    dispatcher = Dispatcher(settings, store, launcher=CrashingAtStart(settings))
    record = dispatch_until_ended(dispatcher, store, experiment.id)
    assert record.status == "failed" and record.driver_attempts == 3
    assert "driver process exited with code 3" in record.stop_reason
    assert "started 3 times, the limit" in record.stop_reason
    assert "ImportError: no module named nowhere" in record.stop_reason  # its last words


class HangingDriver(ProcessLauncher):
    """Real processes that start and then hang: alive, never a heartbeat."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.pids: list[int] = []

    def command(self, experiment_id: str, generation: int) -> list[str]:
        return [sys.executable, "-c", "import time; time.sleep(600)"]

    def start(self, experiment_id: str, generation: int) -> Any:
        process = super().start(experiment_id, generation)
        self.pids.append(process.pid)
        return process


def test_a_driver_alive_but_silent_past_its_lease_is_killed_and_restarted(
    settings: Settings, store: Store
) -> None:
    experiment = store.create_experiment(parse_spec(SPEC))
    launcher = HangingDriver(settings)
    dispatcher = Dispatcher(settings, store, launcher=launcher, stale_seconds=1.0)
    record = dispatch_until_ended(dispatcher, store, experiment.id)
    assert record.status == "failed" and record.driver_attempts == 3
    assert "driver heartbeat stopped" in record.stop_reason
    assert len(launcher.pids) == 3
    time.sleep(0.5)
    for pid in launcher.pids:  # every hung one was killed, checked with the system
        assert not Path(f"/proc/{pid}").exists() or "zombie" in _state(pid), pid


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"
