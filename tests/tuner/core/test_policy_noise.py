"""A run that reports the standard error of its value (a trial group's ``<metric>_sem``) is
stopped only when it is worse than the cutoff by more than that: each policy keeps a run whose
spread reaches its cutoff, and stops it as before once the spread is smaller."""

from __future__ import annotations

import pytest

from tuner.core.policies import (
    AshaPolicy,
    BanditPolicy,
    EarlyTerminationPolicy,
    MedianStoppingPolicy,
    TruncationSelectionPolicy,
)


def stopped(
    policy: EarlyTerminationPolicy, others: dict[str, list[float]], own: list[float], sem: float
) -> bool:
    runs = policy.new_histories()
    for run_id, values in others.items():
        for value in values:
            runs.report(run_id, value)
    for value in own[:-1]:
        runs.report("r", value)
    runs.report("r", own[-1], sem=sem)  # the standard error comes with the decided report
    return policy.should_stop("r", runs)


@pytest.mark.parametrize(("sem", "stops"), [(0.0, True), (0.03, True), (0.06, False)])
def test_asha_keeps_a_run_whose_spread_reaches_the_rung_cutoff(sem: float, stops: bool) -> None:
    # Rung 1 of η = 2: the cutoff is the median of 0.9 and 0.8, 0.85; r has 0.8.
    policy = AshaPolicy("maximize", grace_period=1, reduction_factor=2, max_t=4)
    assert stopped(policy, {"a": [0.9], "b": [0.8]}, [0.8], sem) is stops


@pytest.mark.parametrize(("sem", "stops"), [(0.0, True), (0.05, True), (0.15, False)])
def test_bandit_keeps_a_run_whose_spread_reaches_the_slack(sem: float, stops: bool) -> None:
    # minimize, B = 0.30, slack 0.1: worse than 0.40 stops; r has 0.50.
    policy = BanditPolicy("minimize", slack_amount=0.1)
    assert stopped(policy, {"best": [0.30]}, [0.50], sem) is stops


@pytest.mark.parametrize(("sem", "stops"), [(0.0, True), (0.005, True), (0.02, False)])
def test_median_stopping_keeps_a_run_whose_spread_reaches_the_median(
    sem: float, stops: bool
) -> None:
    # DESIGN §4's vector 3: M = 0.55 at k = 3; r's best is 0.54.
    policy = MedianStoppingPolicy("maximize", min_runs=2)
    others = {"a": [0.5, 0.6, 0.7], "b": [0.4, 0.5, 0.6]}
    assert stopped(policy, others, [0.1, 0.54, 0.2], sem) is stops


@pytest.mark.parametrize(("sem", "stops"), [(0.0, True), (0.05, True), (0.15, False)])
@pytest.mark.parametrize("exclude_finished", [False, True])
def test_truncation_ranks_a_run_at_the_better_end_of_its_spread(
    sem: float, stops: bool, exclude_finished: bool
) -> None:
    # DESIGN §4's vector 4: of 10 runs at k = 5 the 2 worst stop; r is the second worst (0.1).
    policy = TruncationSelectionPolicy(
        "maximize", truncation_percentage=20, exclude_finished_runs=exclude_finished
    )
    others = {f"r{i}": [0.0] * 4 + [i / 10] for i in range(10) if i != 1}
    assert stopped(policy, others, [0.0] * 4 + [0.1], sem) is stops
