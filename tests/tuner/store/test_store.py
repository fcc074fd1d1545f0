"""The store on a real SQLite file: migrations, batched writes, best run, cancel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from tuner.core.spec import parse_spec
from tuner.errors import ConflictError, NotFoundError, SpecError
from tuner.store import NewMetricRow, RunUpdate, Store, utcnow


def spec(goal: str = "maximize") -> object:
    return parse_spec(
        {
            "name": "s",
            "trainable": "toy_curve",
            "search_space": {"x": {"uniform": [0, 1]}},
            "primary_metric": {"name": "score", "goal": goal},
            "budget": {"max_total_runs": 3},
        }
    )


def test_migrations_create_tables_and_indexes_and_are_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'x.db'}"
    Store.open(url).close()
    store = Store.open(url)  # a second upgrade on an up-to-date schema is a no-op
    inspector = inspect(store.engine)
    assert {"experiments", "runs", "metric_rows", "alembic_version"} <= set(
        inspector.get_table_names()
    )
    assert {"ix_runs_experiment_best", "ix_runs_experiment_trial"} <= {
        i["name"] for i in inspector.get_indexes("runs")
    }
    assert "ix_metric_rows_run_step" in {i["name"] for i in inspector.get_indexes("metric_rows")}


@pytest.mark.parametrize(("goal", "expected"), [("maximize", "b"), ("minimize", "a")])
def test_best_run_follows_the_goal_whatever_the_end_state(
    store: Store, goal: str, expected: str
) -> None:
    record = store.create_experiment(spec(goal))  # type: ignore[arg-type]
    store.apply(
        record.id,
        [
            RunUpdate("a", status="completed", number=1, params={"x": 0.1}, best_metric=0.2),
            RunUpdate("b", status="early_terminated", number=2, params={"x": 0.9}, best_metric=0.9),
            RunUpdate("c", status="running", number=3, params={"x": 0.5}),
        ],
        [],
    )
    best = store.best_run(record.id)
    assert best is not None and best.trial_id == expected


def test_apply_writes_runs_and_rows_in_one_batch(store: Store) -> None:
    record = store.create_experiment(spec())  # type: ignore[arg-type]
    now = utcnow()
    rows = [
        NewMetricRow("t1", 1, step, step / 10, {"score": step / 10, "loss": 1.0}, now)
        for step in (1, 2, 3)
    ]
    store.apply(
        record.id,
        [RunUpdate("t1", status="running", number=1, params={"x": 0.3}, started_at=now)],
        rows,
    )
    store.apply(record.id, [RunUpdate("t1", epochs=3, best_metric=0.3)], [])
    (run,) = store.list_runs(record.id)
    assert run.status == "running" and run.epochs == 3 and run.params == {"x": 0.3}
    assert [m.step for m in store.metric_rows(run.id)] == [1, 2, 3]
    assert store.count_metric_rows(record.id) == 3
    assert store.get_experiment(record.id).run_counts["running"] == 1


def test_unknown_ids_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no experiment with id 'nope'"):
        store.get_experiment("nope")
    with pytest.raises(NotFoundError, match="no run"):
        store.get_run("nope")


def test_list_experiments_filters_and_pages(store: Store) -> None:
    ids = [store.create_experiment(spec()).id for _ in range(3)]  # type: ignore[arg-type]
    store.request_cancel(ids[0])
    assert [e.id for e in store.list_experiments(status="canceled")] == [ids[0]]
    assert len(store.list_experiments(limit=2)) == 2 and len(store.list_experiments(offset=2)) == 1


def test_importing_tuner_stays_light() -> None:
    code = (
        "import sys, tuner, tuner.core.spec, tuner.core.policies, tuner.core.settings; "
        "heavy = [m for m in ('ray', 'tensorflow', 'sqlalchemy', 'keras') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cli_check_accepts_demo_and_refuses_bad_spec(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[3]
    ok = subprocess.run(
        [sys.executable, "-m", "tuner.cli", "check", str(root / "configs" / "demo.yaml")],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and "6 runs planned" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (root / "configs" / "demo.yaml").read_text().replace("choice: [72, 168]", "choice: []")
    )
    refused = subprocess.run(
        [sys.executable, "-m", "tuner.cli", "check", str(bad)], capture_output=True, text=True
    )
    assert (
        refused.returncode == 2
        and "search_space.T.choice: must be a non-empty list" in refused.stderr
    )


def test_kept_run_counts_match_a_recount(store: Store) -> None:
    record = store.create_experiment(spec())  # type: ignore[arg-type]
    now = utcnow()
    store.apply(
        record.id,
        [RunUpdate(f"t{i}", status="running", number=i + 1, started_at=now) for i in range(4)],
        [],
    )
    store.apply(
        record.id,
        [RunUpdate("t0", status="completed"), RunUpdate("t1", status="early_terminated")],
        [],
    )
    store.apply(
        record.id, [RunUpdate("t2", status="failed"), RunUpdate("t2", status="running")], []
    )
    store.close_running_runs(record.id, "canceled")
    kept = store.get_experiment(record.id).run_counts
    store.recount_runs(record.id)
    assert kept == store.get_experiment(record.id).run_counts
    assert kept == {
        "queued": 0,
        "running": 0,
        "completed": 1,
        "early_terminated": 1,
        "failed": 0,
        "canceled": 2,
    }


def test_empty_setting_means_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tuner.core.settings import Settings

    monkeypatch.setenv("TUNEDRIVE_DATA_DIR", "")
    monkeypatch.setenv("TUNEDRIVE_DATABASE_URL", " ")
    settings = Settings(home=tmp_path)
    assert settings.resolved_data_dir == tmp_path.resolve() / "data"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'tunedrive.db'}"


def test_every_run_field_reads_back_where_it_was_written(store: Store) -> None:
    # Run reads build records positionally from Core rows: a field out of place shows here.
    experiment = store.create_experiment(spec())  # type: ignore[arg-type]
    started = utcnow()
    written = RunUpdate(
        "trial-7",
        status="early_terminated",
        number=7,
        params={"x": 0.5},
        started_at=started,
        finished_at=started,
        best_metric=0.25,
        epochs=4,
        stopped_at_interval=3,
        attempts=2,
        error="boom",
        node="host/abc",
        final_metrics={"test_mape": 3.5},
        artifact_dir="dir-7",
    )
    store.apply(experiment.id, [written], [])
    (listed,) = store.list_runs(experiment.id)
    for run in (listed, store.get_run(listed.id), store.best_run(experiment.id)):
        assert run is not None
        assert (run.experiment_id, run.trial_id) == (experiment.id, "trial-7")
        for name, value in vars(written).items():
            if name != "trial_id":
                assert getattr(run, name) == value, name


def test_the_experiments_list_takes_two_queries_whatever_its_size(store: Store) -> None:
    from sqlalchemy import event

    goals = ["maximize", "minimize"] * 10
    ids = []
    for goal, values in zip(goals, ([0.2, 0.9, None], [0.5, 0.1, 0.3]) * 10, strict=True):
        record = store.create_experiment(spec(goal))  # type: ignore[arg-type]
        updates = [
            RunUpdate(f"t{i}", status="completed", number=i + 1, best_metric=value)
            for i, value in enumerate(values)
        ]
        store.apply(record.id, updates, [])
        ids.append(record.id)
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    listed = store.list_experiments_with_best(limit=50)
    assert len(statements) == 2, statements
    assert [record.id for record, _ in listed] == ids[::-1]  # newest first
    for record, best in listed:
        expected = store.best_run(record.id)
        assert best is not None and expected is not None and best.id == expected.id
        assert best.best_metric == (0.9 if record.goal == "maximize" else 0.1)
        assert record.run_counts["completed"] == 3


def test_only_a_finished_experiment_is_extended_and_only_upwards(store: Store) -> None:
    record = store.create_experiment(spec())
    with pytest.raises(ConflictError, match="only a finished experiment"):
        store.extend_experiment(record.id, max_total_runs=10)
    updates = [RunUpdate(f"t{i}", status="completed", number=i + 1, params={}) for i in range(3)]
    store.apply(record.id, updates, [])
    store.finish_experiment(record.id, "completed", "max_total_runs reached")
    with pytest.raises(SpecError) as small:
        store.extend_experiment(record.id, max_total_runs=3)
    assert small.value.problems[0].field == "max_total_runs" and "3 runs" in str(small.value)
    with pytest.raises(SpecError):
        store.extend_experiment(record.id)
    assert store.get_experiment(record.id).status == "completed"  # nothing changed
    extended = store.extend_experiment(record.id, max_total_runs=8, max_duration_minutes=5)
    assert (extended.status, extended.extensions, extended.stop_reason) == ("queued", 1, None)
    assert extended.spec["budget"]["max_total_runs"] == 8
    assert extended.spec["budget"]["max_duration_minutes"] == 5
    assert extended.started_at is None and extended.finished_at is None
    assert len(store.list_runs(record.id)) == 3  # nothing stored is lost


def test_an_extension_is_validated_keeps_the_asked_concurrency_and_needs_runs_to_start(
    store: Store,
) -> None:
    asked = parse_spec(
        {
            "name": "s",
            "trainable": "toy_curve",
            "search_space": {"x": {"uniform": [0, 1]}},
            "primary_metric": {"name": "score", "goal": "maximize"},
            "budget": {"max_total_runs": 2, "max_concurrent_runs": 4},
        }
    )
    record = store.create_experiment(asked)
    ended = [RunUpdate(f"t{i}", status="failed", number=i + 1, params={}) for i in range(2)]
    store.apply(record.id, ended, [])
    store.finish_experiment(record.id, "completed", "max_total_runs reached")
    # Spent runs: more time alone would start none, and the refusal says what to give.
    with pytest.raises(SpecError) as spent:
        store.extend_experiment(record.id, max_duration_minutes=30)
    assert spent.value.problems[0].field == "max_total_runs"
    assert "above 2" in str(spent.value)
    # The extended spec passes the spec's own checks: a budget past the limit is refused.
    with pytest.raises(SpecError) as huge:
        store.extend_experiment(record.id, max_total_runs=10**7)
    assert huge.value.problems[0].field == "budget.max_total_runs"
    assert store.get_experiment(record.id).status == "completed"  # nothing changed
    extended = parse_spec(store.extend_experiment(record.id, max_total_runs=6).spec)
    assert extended.budget.max_concurrent_runs == 4  # as asked, not the old clamp to 2
    assert extended.budget.concurrent_runs == 4


def test_the_store_hands_out_unique_run_numbers_fenced_by_the_lease(store: Store) -> None:
    from tuner.errors import LeaseLost

    record = store.create_experiment(spec())
    generation = store.start_driver(record.id, "test")
    assert [store.reserve_run(record.id, f"t{i}", generation) for i in range(3)] == [1, 2, 3]
    assert store.reserve_run(record.id, "t1", generation) == 2  # the same trial, its number
    newer = store.start_driver(record.id, "another")
    with pytest.raises(LeaseLost):
        store.reserve_run(record.id, "t9", generation)  # a driver taken over draws no number
    assert store.reserve_run(record.id, "t9", newer) == 4
    # The index refuses a second run under a taken number, whoever writes it.
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        store.apply(record.id, [RunUpdate("t-dup", status="running", number=2)], [], newer)
    assert [r.number for r in store.list_runs(record.id)] == [1, 2, 3, 4]
