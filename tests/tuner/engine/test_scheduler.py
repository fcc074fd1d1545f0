"""The scheduler hands the policy what a run reports: its value, its step, and the standard error
a trial group reports beside it (``<metric>_sem``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ray.tune.schedulers import TrialScheduler

from tuner.core.policies import AshaPolicy
from tuner.engine.scheduler import STEP_KEY, PolicyScheduler


@pytest.mark.parametrize(
    ("sem", "decision"), [(None, TrialScheduler.STOP), (0.06, TrialScheduler.CONTINUE)]
)
def test_a_reported_standard_error_reaches_the_policy(sem: float | None, decision: str) -> None:
    scheduler = PolicyScheduler(
        AshaPolicy("maximize", grace_period=1, reduction_factor=2, max_t=4), "val_score"
    )
    for run_id, value in (("a", 0.9), ("b", 0.8)):
        scheduler.on_trial_result(None, SimpleNamespace(trial_id=run_id), {"val_score": value})
    report = {"val_score": 0.8, STEP_KEY: 1, **({"val_score_sem": sem} if sem else {})}
    # Below the rung's cutoff of 0.85, but within its standard error of it when it has one.
    assert scheduler.on_trial_result(None, SimpleNamespace(trial_id="r"), report) == decision
    assert scheduler.histories.sem("r") == (sem or 0.0)
