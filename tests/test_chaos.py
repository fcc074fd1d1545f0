"""The fault-injection soak of bench/chaos.py, short: 2 minutes of faults (drivers, dispatchers
and the Ray worker node killed, PostgreSQL restarted) over 6 experiments, then every
invariant checked from the store. Marked `cluster` and `slow` (2.5 minutes: run it by name,
`pytest -m slow tests/test_chaos.py`); the 10-minute soak is the benchmark."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.postgres import postgres_bin

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.skipif(postgres_bin() is None, reason="needs Debian's PostgreSQL (make test)"),
]


def test_two_minutes_of_faults_lose_no_row_and_break_no_invariant(tmp_path: Path) -> None:
    from bench.chaos import report, soak

    faults, verdict = soak(
        2, 6, seed=7, runs=6, epochs=8, sleep=1.0, fault_every=(12, 24), root=tmp_path
    )
    report(faults, verdict)
    assert len(faults) == 4, faults  # every kind of fault at least once
    assert verdict.ended == verdict.experiments == 6, verdict.problems
    assert verdict.rows_lost == 0
    assert verdict.rows_acked > 0
    assert not verdict.problems, verdict.problems
