"""Dispatcher decisions with hand-made launchers (real drivers: tests/api/test_crashes.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.api.test_endpoints import SPEC
from tuner.core.settings import Settings
from tuner.core.spec import parse_spec
from tuner.service.dispatcher import Dispatcher
from tuner.store import Store


@dataclass
class Finished:
    code: int | None = None

    def poll(self) -> int | None:
        return self.code


@dataclass
class FlakyLauncher:
    failures: int
    started: list[str] = field(default_factory=list)

    def start(self, experiment_id: str) -> Finished:
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
