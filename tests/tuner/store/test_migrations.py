"""Migrations that change stored rows: each upgrades an old database in place."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from tuner.store import Store


def test_the_unique_run_number_migration_moves_duplicates_past_the_highest(
    tmp_path: Path,
) -> None:
    from sqlalchemy import text

    from tuner.store.base import make_engine, upgrade_schema

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade_schema(engine, "0007")  # before numbers were unique: a restart could repeat one
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO experiments (id, name, trainable, status, spec, goal, created_at, "
                "cancel_requested, driver_attempts) VALUES ('e', 'old', 'toy_curve', "
                "'completed', '{}', 'maximize', '2026-01-01', 0, 1)"
            )
        )
        for run_id, number, started in [("a", 1, 1), ("b", 2, 2), ("c", 2, 3), ("d", 3, 4)]:
            connection.execute(
                text(
                    "INSERT INTO runs (id, experiment_id, number, trial_id, status, params, "
                    "epochs, attempts, started_at) VALUES (:id, 'e', :n, :id, 'completed', "
                    "'{}', 1, 1, :at)"
                ),
                {"id": run_id, "n": number, "at": f"2026-01-01 00:00:0{started}"},
            )
    engine.dispose()
    store = Store.open(f"sqlite:///{tmp_path / 'old.db'}")
    numbers = {r.trial_id: r.number for r in store.list_runs("e")}
    assert numbers == {"a": 1, "b": 2, "c": 4, "d": 3}  # the later duplicate moved past 3
    assert "ix_runs_experiment_number" in {
        i["name"] for i in inspect(store.engine).get_indexes("runs")
    }
    store.close()


def test_the_frequency_migration_gives_existing_data_sets_their_calendar_alias(
    tmp_path: Path,
) -> None:
    from sqlalchemy import text

    from tuner.store.base import make_engine, upgrade_schema

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade_schema(engine, "0008")  # data sets knew only a step in seconds
    stored = [  # id, seconds, start (a Wednesday, then a Sunday)
        ("hourly", 3600, "2020-01-01 00:00:00"),
        ("halfhour", 1800, "2020-01-01 00:00:00"),
        ("daily", 86400, "2020-01-01 00:00:00"),
        ("weekly", 604800, "2020-01-05 00:00:00"),
        ("fortnight", 1209600, "2020-01-01 00:00:00"),
    ]
    with engine.begin() as connection:
        for dataset_id, seconds, start in stored:
            connection.execute(
                text(
                    "INSERT INTO datasets (id, name, rows, columns, frequency_seconds, start, "
                    "\"end\", size_bytes, sha256, created_at, filled_rows) VALUES (:id, :id, 60, "
                    "'[\"y\"]', :s, :start, :start, 1, 'x', '2026-01-01', 0)"
                ),
                {"id": dataset_id, "s": seconds, "start": start},
            )
    engine.dispose()
    store = Store.open(f"sqlite:///{tmp_path / 'old.db'}")
    aliases = {d: store.get_dataset(d).frequency for d, _, _ in stored}
    assert aliases == {
        "hourly": "h",
        "halfhour": "30min",
        "daily": "D",
        "weekly": "W-SUN",
        "fortnight": "2W-WED",
    }
    assert store.get_dataset("daily").series_count == 1
    store.close()
