"""Store faults under a real driver (DESIGN §5): a refused write ends the experiment with its
reason, and an outage longer than the retry cap loses no row: the rows are journaled and the
next driver writes them."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.postgres import postgres_bin, postgres_control
from tests.tuner.engine.test_engine import SAMPLINGS, reported_rows, stored_rows, toy_spec
from tuner.core.settings import Settings
from tuner.engine.driver import run_experiment
from tuner.engine.store_link import journal_path
from tuner.engine.trial import run_seed
from tuner.errors import StoreUnavailable
from tuner.store import Store

pytestmark = pytest.mark.usefixtures("ray_session")


def test_a_write_the_store_refuses_ends_the_experiment_with_its_reason_at_once(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    # A constraint of the database itself (SQLite's RAISE(ABORT) is an IntegrityError): no
    # retry can get this row in, so the driver must not loop on it.
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER refuse_third BEFORE INSERT ON metric_rows WHEN NEW.step = 3 "
                "BEGIN SELECT RAISE(ABORT, 'refused by a test constraint'); END"
            )
        )
    patient = settings.model_copy(update={"store_retry_seconds": 600})
    spec = toy_spec(SAMPLINGS["random"], None, tmp_path, budget={"max_total_runs": 2})
    started = time.monotonic()
    record = run_experiment(store.create_experiment(spec).id, patient, store)
    assert time.monotonic() - started < 120  # far inside the 600 s cap: it was never retried
    assert record.status == "failed"
    assert "the store refused" in record.stop_reason
    assert "IntegrityError" in record.stop_reason
    assert "refused by a test constraint" in record.stop_reason
    runs = store.list_runs(record.id)
    assert runs and all(r.status in ("failed", "canceled") for r in runs)
    assert all(r.epochs <= 2 for r in runs)


@pytest.mark.cluster
@pytest.mark.skipif(postgres_bin() is None, reason="needs Debian's PostgreSQL (make test)")
@pytest.mark.parametrize(
    "outage_seconds",
    [12, pytest.param(30, marks=pytest.mark.slow, id="thirty-seconds")],
)
def test_an_outage_past_the_retry_cap_loses_no_row(tmp_path: Path, outage_seconds: int) -> None:
    """Both outages outlast the driver's 5 s retry cap; the 30 s one runs by name (-m slow)."""
    with postgres_control() as (url, server):
        settings = Settings(
            home=tmp_path / "home",
            database_url=url,
            cancel_poll_seconds=0.5,
            store_retry_seconds=5,  # shorter than the outage: the journal is what keeps rows
        )
        store = Store.open(url)
        spec = toy_spec(
            SAMPLINGS["random"],
            None,
            tmp_path,
            fixed={"epochs": 8, "sleep": 0.5},
            budget={"max_total_runs": 4, "max_concurrent_runs": 2},
        )
        experiment_id = store.create_experiment(spec).id
        outcome: dict[str, Any] = {}

        def first_driver() -> None:
            try:
                outcome["record"] = run_experiment(experiment_id, settings, store)
            except StoreUnavailable as error:
                outcome["error"] = error

        driver = threading.Thread(target=first_driver)
        driver.start()
        deadline = time.monotonic() + 120
        while store.count_metric_rows(experiment_id) < 4:
            assert time.monotonic() < deadline and driver.is_alive(), outcome
            time.sleep(0.2)
        server.stop()  # the outage: every connection refused, for outage_seconds
        outage_began = time.monotonic()
        driver.join(timeout=120)
        assert not driver.is_alive()
        assert "error" in outcome, outcome  # it gave up after its cap instead of looping
        assert journal_path(settings, experiment_id).exists()
        time.sleep(max(0.0, outage_seconds - (time.monotonic() - outage_began)))
        server.start()

        record = run_experiment(experiment_id, settings, store)  # the next driver
        assert record.status == "completed", record.stop_reason
        assert not journal_path(settings, experiment_id).exists()
        # Every report that returned to the trainable is stored, exactly once (every attempt's
        # rows); beyond those, only a report still in flight when the driver stopped may be.
        stored = Counter(stored_rows(store, experiment_id))
        keys = [
            (run.id, row.attempt, row.step)
            for run in store.list_runs(experiment_id)
            for row in store.metric_rows(run.id)
        ]
        assert len(keys) == len(set(keys))  # no (run, attempt, epoch) twice
        acked = Counter(reported_rows(tmp_path, "acked.log"))
        assert acked <= stored <= Counter(reported_rows(tmp_path))
        assert sum(acked.values()) >= 4 * 8  # the runs whole histories came through
        runs = store.list_runs(experiment_id)
        assert [r.number for r in runs] == list(range(1, len(runs) + 1))
        assert all(r.seed == run_seed(3, r.number) for r in runs)
        assert record.run_counts["running"] == 0
        store.close()
