"""Driver leases: every start counted and given a new generation; a stale driver writes nothing."""

from __future__ import annotations

import pytest

from tests.tuner.store.test_store import spec
from tuner.errors import LeaseLost
from tuner.store import NewMetricRow, RunUpdate, Store, utcnow


def test_a_driver_with_a_stale_generation_cannot_write(store: Store) -> None:
    experiment = store.create_experiment(spec())  # type: ignore[arg-type]
    first = store.start_driver(experiment.id, "dispatcher-a")
    store.mark_running(experiment.id, first)
    store.apply(experiment.id, [RunUpdate("t1", status="running", number=1)], [], first)
    second = store.start_driver(experiment.id, "dispatcher-b")  # a takeover
    assert second == first + 1
    assert store.get_experiment(experiment.id).driver_attempts == 2
    row = NewMetricRow("t1", 1, 1, 0.5, {"score": 0.5}, utcnow())
    with pytest.raises(LeaseLost, match="no longer current"):
        store.apply(experiment.id, [RunUpdate("t1", epochs=1, best_metric=0.5)], [row], first)
    with pytest.raises(LeaseLost):
        store.heartbeat(experiment.id, first)
    with pytest.raises(LeaseLost):
        store.close_running_runs(experiment.id, "canceled", first)
    with pytest.raises(LeaseLost):
        store.finish_experiment(experiment.id, "completed", "done", first)
    # Read back: nothing of the stale driver's landed.
    (run,) = store.list_runs(experiment.id)
    assert run.status == "running" and run.epochs == 0 and run.best_metric is None
    assert store.metric_rows(run.id) == []
    assert store.get_experiment(experiment.id).status == "running"
    # The current driver writes as usual.
    store.apply(experiment.id, [RunUpdate("t1", epochs=1)], [row], second)
    assert len(store.metric_rows(run.id)) == 1


def test_a_launch_that_never_happened_is_not_counted(store: Store) -> None:
    experiment = store.create_experiment(spec())  # type: ignore[arg-type]
    claimed = store.claim_queued("dispatcher-a")
    assert claimed is not None
    store.start_driver(experiment.id, "dispatcher-a")
    store.release_claim(experiment.id, "dispatcher-a")
    record = store.get_experiment(experiment.id)
    assert record.status == "queued" and record.driver_attempts == 0


def test_ending_an_experiment_ends_its_runs_and_revokes_the_lease(store: Store) -> None:
    experiment = store.create_experiment(spec())  # type: ignore[arg-type]
    generation = store.start_driver(experiment.id, "dispatcher-a")
    updates = [RunUpdate(f"t{i}", status="running", number=i) for i in (1, 2)]
    store.apply(experiment.id, updates, [], generation)
    store.finish_experiment(experiment.id, "failed", "the dispatcher gave up")
    assert {r.status for r in store.list_runs(experiment.id)} == {"failed"}
    assert store.get_experiment(experiment.id).run_counts["running"] == 0
    with pytest.raises(LeaseLost):  # the driver, if still alive, is fenced off
        store.heartbeat(experiment.id, generation)
