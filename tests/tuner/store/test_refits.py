"""Refit requests in the store: who may ask, and how the experiment returns to its end."""

from __future__ import annotations

import pytest

from tests.tuner.store.test_store import spec
from tuner.errors import ConflictError
from tuner.store import RunUpdate, Store


def finished(store: Store) -> tuple[str, str, str]:
    record = store.create_experiment(spec())
    store.apply(
        record.id,
        [
            RunUpdate("t1", status="completed", number=1, params={}, final_metrics={"x": 1}),
            RunUpdate("t2", status="failed", number=2, params={}),
        ],
        [],
    )
    runs = {r.trial_id: r.id for r in store.list_runs(record.id)}
    return record.id, runs["t1"], runs["t2"]


def test_only_a_finished_run_of_a_finished_experiment_is_refitted(store: Store) -> None:
    experiment, done, failed = finished(store)
    with pytest.raises(ConflictError, match="only a finished experiment refits"):
        store.request_refit(experiment, done)
    store.finish_experiment(experiment, "completed", "max_total_runs (2) reached")
    with pytest.raises(ConflictError, match="only a run that finished training"):
        store.request_refit(experiment, failed)
    with pytest.raises(ConflictError, match="not a run of"):
        store.request_refit(experiment, "elsewhere")
    queued = store.request_refit(experiment, done, include_test=True)
    assert queued.status == "queued" and queued.finished_at is None
    assert queued.refit_request == {
        "source": done,
        "include_test": True,
        "status": "completed",
        "stop_reason": "max_total_runs (2) reached",
    }
    store.apply(experiment, [RunUpdate("r", status="running", number=3, refit_of=done)], [])
    store.finish_refit(experiment, None)
    refit = store.list_runs(experiment)[-1]
    with pytest.raises(ConflictError, match="itself a refit"):
        store.request_refit(experiment, refit.id)


def test_a_refit_ends_with_the_experiment_as_it_was(store: Store) -> None:
    experiment, done, _ = finished(store)
    store.finish_experiment(experiment, "completed", "grid exhausted (2 combinations)")
    store.request_refit(experiment, done)
    store.apply(experiment, [RunUpdate("r", status="running", number=3, refit_of=done)], [])
    store.finish_refit(experiment, None)
    after = store.get_experiment(experiment)
    assert (after.status, after.stop_reason) == ("completed", "grid exhausted (2 combinations)")
    assert after.refit_request is None and after.finished_at is not None
    refit = next(r for r in store.list_runs(experiment) if r.refit_of == done)
    assert refit.status == "canceled"  # a run still open when the refit's stretch ended


def test_canceling_a_queued_refit_returns_the_experiment_to_its_end(store: Store) -> None:
    experiment, done, _ = finished(store)
    store.finish_experiment(experiment, "canceled", "canceled by request")
    store.request_refit(experiment, done)
    back = store.request_cancel(experiment)
    assert (back.status, back.stop_reason, back.refit_request) == (
        "canceled",
        "canceled by request",
        None,
    )
    assert not back.cancel_requested
