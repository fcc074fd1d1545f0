"""The engine end to end on real Ray and a real SQLite file, with the toy trainable."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from tuner.core.settings import Settings
from tuner.core.spec import parse_spec
from tuner.engine.driver import run_experiment
from tuner.engine.trial import run_seed
from tuner.store import RunRecord, RunUpdate, Store

pytestmark = pytest.mark.usefixtures("ray_session")

SAMPLINGS = {
    "random": {"method": "random", "seed": 3},
    "sobol": {"method": "random", "rule": "sobol", "seed": 3},
    "grid": {"method": "grid"},
    "bayesian": {"method": "bayesian", "seed": 3},
}
POLICIES = {
    "bandit": {"policy": "bandit", "slack_factor": 0.15, "delay_evaluation": 2},
    "median_stopping": {"policy": "median_stopping", "min_runs": 2, "delay_evaluation": 2},
    "truncation_selection": {
        "policy": "truncation_selection",
        "truncation_percentage": 40,
        "delay_evaluation": 2,
    },
    # Rungs at 2 and 4 (g·η^i below max_t = 6): the only intervals it may stop a run at.
    "asha": {"policy": "asha", "grace_period": 2, "reduction_factor": 2, "max_t": 6},
}


def toy_spec(
    sampling: dict[str, Any], policy: dict[str, Any] | None, log_dir: Path, **overrides: Any
) -> Any:
    # Descending grid choices: the best runs come first, so the policy has something to cut.
    space = (
        {"x": {"choice": [0.9, 0.7, 0.5, 0.3, 0.2, 0.1]}, "y": {"choice": [0.0, 0.05]}}
        if sampling["method"] == "grid"
        else {"x": {"uniform": [0.05, 1.0]}}
    )
    data = {
        "name": "engine-test",
        "trainable": "toy_curve",
        "fixed": {"epochs": 6, "sleep": 0.05, "log_dir": str(log_dir)},
        "search_space": space,
        "sampling": sampling,
        "primary_metric": {"name": "score", "goal": "maximize"},
        "early_termination": policy,
        "budget": {"max_total_runs": 10, "max_concurrent_runs": 2},
        "resources": {"cpu": 1},
    }
    for key, value in overrides.items():
        data[key] = (
            {**data[key], **value}
            if isinstance(value, dict) and isinstance(data.get(key), dict)
            else value
        )
    return parse_spec(data)


def max_overlap(runs: list[RunRecord]) -> int:
    """Most runs running at one instant, from stored start and end times."""
    events = sorted(
        [(r.started_at, 1) for r in runs] + [(r.finished_at, -1) for r in runs],
        key=lambda e: (e[0], e[1]),
    )  # an end at the same instant as a start goes first
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


def reported_lines(log_dir: Path) -> int:
    path = log_dir / "reports.log"
    return len(path.read_text().splitlines()) if path.exists() else 0


def drive_in_background(
    settings: Settings, store: Store, log_dir: Path, *, epochs: int, sleep: float, runs: int
) -> tuple[str, threading.Thread, dict[str, Any]]:
    """A slow toy experiment (two runs at a time) whose driver runs in a thread; its final
    record lands in the returned dict."""
    spec = toy_spec(
        SAMPLINGS["random"],
        None,
        log_dir,
        fixed={"epochs": epochs, "sleep": sleep},
        budget={"max_total_runs": runs, "max_concurrent_runs": 2},
    )
    experiment_id = store.create_experiment(spec).id
    result: dict[str, Any] = {}
    driver = threading.Thread(
        target=lambda: result.update(record=run_experiment(experiment_id, settings, store))
    )
    driver.start()
    return experiment_id, driver, result


# Every sampler and every policy through the real engine. Policies are pure and see only the
# primary metric, samplers only the objective, so they do not interact: each one once is the
# check (their own tests cover each in depth), not all sixteen pairs.
SAMPLER_POLICY = [
    ("random", "bandit"),
    ("sobol", "median_stopping"),
    ("grid", "truncation_selection"),
    ("bayesian", "asha"),
]


@pytest.mark.parametrize(("sampling_name", "policy_name"), SAMPLER_POLICY)
def test_sampler_and_policy_respect_budget_and_record_everything(
    sampling_name: str, policy_name: str, settings: Settings, store: Store, tmp_path: Path
) -> None:
    spec = toy_spec(SAMPLINGS[sampling_name], POLICIES[policy_name], tmp_path)
    record = run_experiment(store.create_experiment(spec).id, settings, store)
    assert record.status == "completed", record.stop_reason
    runs = store.list_runs(record.id)
    assert 0 < len(runs) <= spec.budget.max_total_runs
    assert [r.number for r in runs] == list(range(1, len(runs) + 1))
    assert all(r.started_at and r.finished_at and r.finished_at >= r.started_at for r in runs)
    assert max_overlap(runs) <= spec.budget.max_concurrent_runs
    stopped = [r for r in runs if r.status == "early_terminated"]
    assert stopped, f"{policy_name} never fired: {[(r.status, r.best_metric) for r in runs]}"
    assert all(r.stopped_at_interval and r.stopped_at_interval >= 2 for r in stopped)
    if policy_name == "asha":
        assert {r.stopped_at_interval for r in stopped} <= {2, 4}
    # A stopped run trains no further than the interval it was stopped at, and still ends
    # with its final metrics and its model (DESIGN §4).
    for run in stopped:
        assert run.epochs == run.stopped_at_interval
        assert run.final_metrics and run.final_metrics["last_epoch"] == run.stopped_at_interval
        assert (settings.resolved_storage_path / record.id / run.trial_id / "model.txt").exists()
    assert all(r.epochs == 6 and r.final_metrics for r in runs if r.status == "completed")
    assert (
        store.count_metric_rows(record.id)
        == reported_lines(tmp_path)
        == sum(r.epochs for r in runs)
    )
    best = store.best_run(record.id)
    assert best is not None and best.best_metric == max(
        r.best_metric for r in runs if r.best_metric
    )
    assert record.run_counts["completed"] + record.run_counts["early_terminated"] == len(runs)


def test_random_sampling_of_twelve_configurations_tries_twelve(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    """DESIGN §5: no repeated configuration until every one has been drawn."""
    spec = toy_spec(
        {"method": "random", "seed": 11},
        None,
        tmp_path,
        fixed={"epochs": 1, "sleep": 0.0},
        search_space={
            "x": {"choice": [0.9, 0.7, 0.5, 0.3, 0.2, 0.1]},
            "y": {"choice": [0.0, 0.05]},
        },
        budget={"max_total_runs": 12, "max_concurrent_runs": 4},
        resources={"cpu": 0.5},
    )
    record = run_experiment(store.create_experiment(spec).id, settings, store)
    assert record.status == "completed", record.stop_reason
    runs = store.list_runs(record.id)
    configurations = [(r.params["x"], r.params["y"]) for r in runs]
    assert len(configurations) == 12 and len(set(configurations)) == 12
    # Each run's seed is stored, is what its trainable was given, and follows from the
    # experiment's seed and the run's number.
    assert all(r.seed is not None and r.final_metrics["seed"] == r.seed for r in runs)
    assert [r.seed for r in runs] == [run_seed(11, r.number) for r in runs]
    assert len({r.seed for r in runs}) == 12


def strong_and_weak(tmp_path: Path, **choices: list[Any]) -> Any:
    """A bandit grid of a strong run (x 0.9) and a weak one (x 0.05), one at a time, crossed
    with ``choices``."""
    space = {"x": {"choice": [0.9, 0.05]}, "y": {"choice": [0.0]}}
    space |= {name: {"choice": values} for name, values in choices.items()}
    return toy_spec(
        {"method": "grid"},
        POLICIES["bandit"],
        tmp_path,
        search_space=space,
        budget={"max_total_runs": 2 * len(next(iter(choices.values()))), "max_concurrent_runs": 1},
    )


def test_a_diverged_run_fails_and_the_bandit_still_stops_others(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    spec = strong_and_weak(tmp_path, nan_at=[0, 3])
    record = run_experiment(store.create_experiment(spec).id, settings, store)
    runs = store.list_runs(record.id)
    # Runs with nan_at 3 that the bandit did not stop first (at 2) reach their NaN at 3.
    diverged = [r for r in runs if r.params["nan_at"] == 3 and r.epochs >= 3]
    assert diverged and all(r.status == "failed" for r in diverged)
    assert all(r.error and "diverged at report 3" in r.error and r.epochs == 3 for r in diverged)
    assert all(r.best_metric is not None for r in diverged)  # its finite values still count
    healthy = [r for r in runs if r.params["nan_at"] == 0]
    assert any(r.status == "early_terminated" for r in healthy), [
        (r.status, r.params) for r in runs
    ]
    rows = store.metric_rows(diverged[0].id)
    assert rows[-1].values["score"] is None and rows[-1].primary_value is None


def test_a_run_that_trains_on_after_its_stop_ends_at_its_next_report(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    spec = strong_and_weak(tmp_path, heeds_stop=[False])
    assert spec.budget.max_concurrent_runs == 1  # the strong run first: the bandit stops the weak
    record = run_experiment(store.create_experiment(spec).id, settings, store)
    runs = store.list_runs(record.id)
    assert len(runs) == 2, (record.status, record.stop_reason, [r.params for r in runs])
    weak = next(r for r in runs if r.params["x"] == 0.05)
    assert weak.status == "early_terminated" and weak.stopped_at_interval == 2
    assert weak.epochs == 2 and weak.final_metrics is None
    assert store.count_metric_rows(record.id) == reported_lines(tmp_path) - 1  # refused, unstored


def test_max_run_minutes_stops_a_run_that_never_reports(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    """DESIGN §5: stopped by the executor at that age, not when it next reports."""
    data = toy_spec({"method": "grid"}, None, tmp_path).to_json()
    del data["fixed"]["sleep"]
    # The second run's first report would come after 10 minutes.
    data["search_space"] = {"sleep": {"choice": [0.01, 600]}}
    data["budget"] = {"max_total_runs": 2, "max_concurrent_runs": 2, "max_run_minutes": 0.1}
    spec = parse_spec(data)
    record = run_experiment(store.create_experiment(spec).id, settings, store)
    assert record.status == "completed", record.stop_reason
    quick, stuck = sorted(store.list_runs(record.id), key=lambda r: r.params["sleep"])
    assert quick.status == "completed" and quick.epochs == 6
    assert stuck.status == "canceled" and stuck.epochs == 0
    assert stuck.error == "stopped at max_run_minutes (0.1 min)"


def test_grid_runs_every_combination_once(settings: Settings, store: Store, tmp_path: Path) -> None:
    spec = toy_spec(
        SAMPLINGS["grid"], None, tmp_path, budget={"max_total_runs": 50, "max_concurrent_runs": 3}
    )
    record = run_experiment(store.create_experiment(spec).id, settings, store)
    runs = store.list_runs(record.id)
    assert len(runs) == 12 and len({(r.params["x"], r.params["y"]) for r in runs}) == 12
    assert record.stop_reason == "grid exhausted (12 combinations)"
    assert max_overlap(runs) <= 3
    rows = store.metric_rows(runs[0].id)
    assert [r.step for r in rows] == [1, 2, 3, 4, 5, 6] and set(rows[0].values) == {"score", "loss"}


def test_max_duration_ends_experiment_on_time(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    spec = toy_spec(
        SAMPLINGS["random"],
        None,
        tmp_path,
        fixed={"epochs": 100, "sleep": 0.3},
        budget={"max_total_runs": 4, "max_concurrent_runs": 2, "max_duration_minutes": 0.2},
    )
    record = run_experiment(store.create_experiment(spec).id, settings, store)
    assert (
        record.status == "completed" and record.stop_reason == "max_duration_minutes (0.2) reached"
    )
    elapsed = (record.finished_at - record.started_at).total_seconds()
    assert 12.0 <= elapsed <= 20.0, elapsed
    runs = store.list_runs(record.id)
    assert runs and all(r.status == "canceled" for r in runs)
    assert all(r.finished_at <= record.started_at + timedelta(seconds=17) for r in runs)
    assert store.count_metric_rows(record.id) == sum(r.epochs for r in runs) > 0


def test_cancel_stops_every_run_within_ten_seconds(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    experiment_id, driver, result = drive_in_background(
        settings, store, tmp_path, epochs=200, sleep=1.0, runs=6
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        running = [r for r in store.list_runs(experiment_id) if r.status == "running"]
        if len(running) == 2 and all(r.epochs >= 1 for r in running):
            break
        time.sleep(0.2)
    assert len(running) == 2
    cancel_time = datetime.utcnow()
    store.request_cancel(experiment_id)
    driver.join(timeout=30)
    assert not driver.is_alive()
    record = result["record"]
    assert record.status == "canceled"
    runs = store.list_runs(experiment_id)
    assert all(r.status == "canceled" for r in runs)
    assert all((r.finished_at - cancel_time).total_seconds() <= 10 for r in runs)
    assert (record.finished_at - cancel_time).total_seconds() <= 10


def test_no_primary_metric_fails_with_clear_reason(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    spec = toy_spec(
        SAMPLINGS["random"],
        None,
        tmp_path,
        fixed={"silent": True, "epochs": 2},
        budget={"max_total_runs": 2, "max_concurrent_runs": 2},
    )
    record = run_experiment(store.create_experiment(spec).id, settings, store)
    assert record.status == "failed"
    assert record.stop_reason.startswith("no run reported the primary metric 'score'")
    assert "they reported: loss" in record.stop_reason


@pytest.mark.parametrize(
    ("failure", "error"),
    [({"raise_at": 3}, "toy failure at epoch 3"), ({"crash_at": 3}, "")],
    ids=["trainable-raises", "worker-killed"],
)
def test_failed_run_is_retried_then_marked_failed(
    settings: Settings, store: Store, tmp_path: Path, failure: dict[str, int], error: str
) -> None:
    """A raised error and a worker killed with SIGKILL alike: max_failures retries, then failed."""
    spec = toy_spec(
        SAMPLINGS["random"],
        None,
        tmp_path,
        fixed={**failure, "epochs": 4},
        budget={"max_total_runs": 2, "max_concurrent_runs": 2},
        max_failures=1,
    )
    record = run_experiment(store.create_experiment(spec).id, settings, store)
    assert record.status == "completed"  # runs failing is not the experiment failing
    runs = store.list_runs(record.id)
    assert len(runs) == 2 and all(r.status == "failed" and r.attempts == 2 for r in runs)
    assert all(r.error and error in r.error for r in runs)
    for run in runs:  # both attempts' rows are kept: nothing reported is lost
        steps = [(m.attempt, m.step) for m in store.metric_rows(run.id)]
        assert steps == [(1, 1), (1, 2), (2, 1), (2, 2)]


def test_cancel_of_queued_experiment_is_immediate(store: Store, tmp_path: Path) -> None:
    from tuner.errors import ConflictError

    record = store.create_experiment(toy_spec(SAMPLINGS["random"], None, tmp_path))
    assert store.request_cancel(record.id).status == "canceled"
    with pytest.raises(ConflictError, match="already canceled"):
        store.request_cancel(record.id)


def test_resources_no_node_has_fail_after_the_wait_never_complete(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    # An autoscaling cluster's experiments are not refused at submission; they wait this long.
    patient = settings.model_copy(update={"resource_wait_minutes": 0.1})
    spec = toy_spec(SAMPLINGS["random"], None, tmp_path, resources={"cpu": 1, "gpu": 4})
    record = run_experiment(store.create_experiment(spec).id, patient, store)
    assert record.status == "failed"
    assert "no run could start within resource_wait_minutes (0.1)" in record.stop_reason
    assert "4 GPUs" in record.stop_reason
    assert store.list_runs(record.id) == []
    elapsed = (record.finished_at - record.started_at).total_seconds()
    assert elapsed < 60, elapsed


def reported_rows(log_dir: Path, name: str = "reports.log") -> list[tuple[str, int, str]]:
    """(quality, epoch, score) as the trainable wrote them, one per report (``acked.log``:
    once each report had returned)."""
    lines = (log_dir / name).read_text().splitlines()
    return [(q, int(e), s) for q, e, s in (line.split() for line in lines)]


def stored_rows(store: Store, experiment_id: str) -> list[tuple[str, int, str]]:
    """The same triples read back from the store's metric rows, every attempt of every run."""
    rows = []
    for run in store.list_runs(experiment_id):
        quality = float(run.params["x"]) + float(run.params.get("y", 0.0))
        for row in store.metric_rows(run.id):
            rows.append((repr(quality), row.step, repr(row.values.get("score"))))
    return rows


def test_a_store_error_while_writing_loses_no_row(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    failures = {"left": 3}

    def flaky_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO metric_rows") and failures["left"]:
            failures["left"] -= 1
            raise OperationalError(statement, {}, sqlite3.OperationalError("disk I/O error"))

    spec = toy_spec(SAMPLINGS["random"], None, tmp_path, budget={"max_total_runs": 3})
    event.listen(store.engine, "before_cursor_execute", flaky_insert)
    try:
        record = run_experiment(store.create_experiment(spec).id, settings, store)
    finally:
        event.remove(store.engine, "before_cursor_execute", flaky_insert)
    assert failures["left"] == 0  # the store really failed, three times
    assert record.status == "completed", record.stop_reason
    assert sorted(stored_rows(store, record.id)) == sorted(reported_rows(tmp_path))
    assert len(reported_rows(tmp_path)) == 3 * 6


def test_a_cancel_during_a_restart_closes_every_run(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    spec = toy_spec(SAMPLINGS["random"], None, tmp_path)
    experiment = store.create_experiment(spec)
    dead = store.start_driver(experiment.id, "a-dispatcher")  # a driver that then died
    store.mark_running(experiment.id, dead)
    running = [RunUpdate(f"t{i}", status="running", number=i) for i in (1, 2)]
    store.apply(experiment.id, running, [], dead)
    store.request_cancel(experiment.id)  # arrives while no driver runs
    record = run_experiment(experiment.id, settings, store)  # the restarted driver
    assert record.status == "canceled" and record.stop_reason == "canceled by request"
    assert [r.status for r in store.list_runs(experiment.id)] == ["canceled", "canceled"]
    assert record.run_counts["running"] == 0


def test_a_driver_whose_lease_was_taken_over_stops_and_writes_nothing_more(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    experiment_id, driver, _ = drive_in_background(
        settings, store, tmp_path, epochs=60, sleep=0.2, runs=2
    )
    deadline = time.monotonic() + 60
    while store.count_metric_rows(experiment_id) < 4:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    store.start_driver(experiment_id, "another-dispatcher")  # takes the lease over
    rows_at_takeover = store.count_metric_rows(experiment_id)
    driver.join(timeout=60)
    assert not driver.is_alive()
    time.sleep(1.0)
    assert store.count_metric_rows(experiment_id) == rows_at_takeover  # nothing more written
    record = store.get_experiment(experiment_id)
    assert record.status == "running"  # left to the new owner, not ended by the old one


def test_an_extended_experiment_goes_on_where_it_ended_and_warm_start_seeds_a_new_one(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    """DESIGN §5: extend re-queues a finished experiment, whose new runs continue its numbers
    and seeds and never repeat a finished configuration; warm start counts new runs only."""
    spec = toy_spec(
        {"method": "random", "seed": 4},
        None,
        tmp_path,
        search_space={"x": {"choice": [0.2, 0.4, 0.6]}, "y": {"choice": [0.0, 0.1]}},
        fixed={"epochs": 2, "sleep": 0.01},
        budget={"max_total_runs": 3, "max_concurrent_runs": 2},
    )
    experiment_id = store.create_experiment(spec).id
    assert run_experiment(experiment_id, settings, store).status == "completed"
    extended = store.extend_experiment(experiment_id, max_total_runs=6)
    assert extended.status == "queued" and extended.extensions == 1
    record = run_experiment(experiment_id, settings, store)
    assert record.status == "completed", record.stop_reason
    runs = store.list_runs(experiment_id)
    assert [r.number for r in runs] == [1, 2, 3, 4, 5, 6]
    assert len({tuple(sorted(r.params.items())) for r in runs}) == 6  # every one, once
    assert len({r.seed for r in runs}) == 6
    assert all(r.status == "completed" and r.final_metrics for r in runs)

    warm = toy_spec(
        {"method": "bayesian", "seed": 4},
        None,
        tmp_path,
        search_space={"x": {"uniform": [0.1, 0.9]}},
        fixed={"epochs": 2, "sleep": 0.01},
        budget={"max_total_runs": 2, "max_concurrent_runs": 1},
        warm_start={"from": [experiment_id]},
    )
    warm_id = store.create_experiment(warm).id
    assert run_experiment(warm_id, settings, store).status == "completed"
    assert len(store.list_runs(warm_id)) == 2


def test_an_extension_after_failed_runs_never_redraws_them_and_gets_the_asked_concurrency(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    """DESIGN §5: every finished configuration is done, whatever its end (a failed one too),
    and the concurrency the user asked for applies once the budget allows it."""
    spec = toy_spec(
        {"method": "random", "seed": 5},
        None,
        tmp_path,
        search_space={"x": {"choice": [0.2, 0.4, 0.6, 0.8]}, "raise_at": {"choice": [0, 1]}},
        fixed={"epochs": 3, "sleep": 0.4},
        budget={"max_total_runs": 2, "max_concurrent_runs": 4},
        max_failures=0,
    )
    experiment_id = store.create_experiment(spec).id
    assert run_experiment(experiment_id, settings, store).status == "completed"
    first = store.list_runs(experiment_id)
    store.extend_experiment(experiment_id, max_total_runs=6)
    record = run_experiment(experiment_id, settings, store)
    assert record.status == "completed", record.stop_reason
    runs = store.list_runs(experiment_id)
    assert [r.number for r in runs] == [1, 2, 3, 4, 5, 6]
    points = [tuple(sorted(r.params.items())) for r in runs]
    assert len(set(points)) == 6  # no configuration twice, failed ones included
    assert any(r.status == "failed" for r in runs)
    assert all(r.seed == run_seed(5, r.number) for r in runs)
    new = [r for r in runs if r.id not in {f.id for f in first}]
    assert max_overlap(new) > 2  # four at once as asked, not the first stretch's clamp of 2
