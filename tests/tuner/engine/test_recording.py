"""The recorder on a real store, driven with Ray's callback calls in orders a cluster produces."""

from __future__ import annotations

from types import SimpleNamespace

from tests.tuner.engine.test_engine import SAMPLINGS, toy_spec
from tuner.core.sampling import RUN_NUMBER_KEY
from tuner.core.settings import Settings
from tuner.engine.recording import StoreRecorder
from tuner.engine.scheduler import PolicyScheduler
from tuner.engine.store_link import StoreLink
from tuner.engine.trial import run_seed
from tuner.store import Store


def test_a_run_that_failed_before_its_first_start_is_recorded_whole_when_it_starts(
    settings: Settings, store: Store, tmp_path
) -> None:
    """A node lost while a restored run was being placed: Ray reports the recovery before any
    start. The start that follows must still record the run's params, number, seed and time
    (the soak found such a run stored with none of them)."""
    record = store.create_experiment(toy_spec(SAMPLINGS["random"], None, tmp_path))
    generation = store.start_driver(record.id, "test")
    link = StoreLink(record.id, generation, store, settings)
    number = store.reserve_run(record.id, "t1", generation)  # drawn by the searcher
    recorder = StoreRecorder(
        link, "score", True, PolicyScheduler(None, "score"), lambda: False, seed=11
    )
    trial = SimpleNamespace(
        trial_id="t1", config={"x": 0.4, RUN_NUMBER_KEY: number}, error_file=None
    )
    recorder.on_trial_recover(0, [], trial)
    recorder.on_trial_start(0, [], trial)
    (run,) = store.list_runs(record.id)
    assert run.status == "running" and run.started_at is not None
    assert run.params == {"x": 0.4} and run.number == number == 1
    assert run.seed == run_seed(11, 1) and run.attempts == 2
