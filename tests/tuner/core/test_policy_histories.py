"""The indexed histories decide as the plain definitions of DESIGN §4 do, at a cost that does
not grow with the number of runs."""

from __future__ import annotations

import math
import random
from statistics import fmean, median

import pytest

from tuner.core.policies import (
    AshaPolicy,
    BanditPolicy,
    EarlyTerminationPolicy,
    MedianStoppingPolicy,
    RunSnapshot,
    TruncationSelectionPolicy,
)
from tuner.core.policies.base import strictly_worse


def _best(values: list[float], k: int, maximize: bool) -> float:
    return max(values[:k]) if maximize else min(values[:k])


def reference(policy: EarlyTerminationPolicy, rid: str, runs: dict[str, RunSnapshot]) -> bool:
    """DESIGN §4 word for word, over every value of every run."""
    k, up = len(runs[rid].values), policy.maximize
    if not policy.is_evaluation_point(k):
        return False
    own = _best(list(runs[rid].values), k, up)
    reached = {i: list(r.values) for i, r in runs.items() if len(r.values) >= k}
    if isinstance(policy, BanditPolicy):
        bests = [_best(v, k, up) for v in reached.values()]
        top = max(bests) if up else min(bests)
        s, a = policy.slack_factor, policy.slack_amount
        if a is not None:
            limit = top - a if up else top + a
        else:
            limit = top - abs(top) * s / (1 + s) if up else top + abs(top) * s
        return strictly_worse(own, limit, up)
    others = {i: v for i, v in reached.items() if i != rid}
    if isinstance(policy, MedianStoppingPolicy):
        if len(others) < policy.min_runs:
            return False
        return strictly_worse(own, median(fmean(v[:k]) for v in others.values()), up)
    if isinstance(policy, TruncationSelectionPolicy):
        population = [
            _best(v, k, up)
            for i, v in reached.items()
            if i == rid or not (policy.exclude_finished_runs and runs[i].finished)
        ]
        rank = 1 + sum(strictly_worse(o, own, up) for o in population)
        return rank <= math.floor(len(population) * policy.truncation_percentage / 100)
    assert isinstance(policy, AshaPolicy)
    recorded = [_best(v, k, up) for v in others.values()]
    if not recorded:
        return False
    oriented = sorted(v if up else -v for v in recorded)
    position = (1 - 1 / policy.reduction_factor) * (len(oriented) - 1)
    low = int(position)
    high = min(low + 1, len(oriented) - 1)
    cut = oriented[low] + (position - low) * (oriented[high] - oriented[low])
    return strictly_worse(own, cut if up else -cut, up)


POLICIES = [
    lambda goal: BanditPolicy(goal, slack_factor=0.1, delay_evaluation=2),
    lambda goal: BanditPolicy(goal, slack_amount=0.05, evaluation_interval=2),
    lambda goal: MedianStoppingPolicy(goal, min_runs=2, delay_evaluation=1),
    lambda goal: TruncationSelectionPolicy(goal, truncation_percentage=30),
    lambda goal: TruncationSelectionPolicy(
        goal, truncation_percentage=50, exclude_finished_runs=True
    ),
    lambda goal: AshaPolicy(goal, grace_period=1, reduction_factor=2, max_t=12),
    lambda goal: AshaPolicy(goal, grace_period=2, reduction_factor=3, max_t=30),
]


@pytest.mark.parametrize("goal", ["minimize", "maximize"])
@pytest.mark.parametrize("make", POLICIES)
def test_indexed_decisions_match_the_definitions(make, goal: str) -> None:
    """Reports arrive interleaved, with ties, retries (a run starts again at step 1) and
    finished runs; after every report the indexed decision equals the plain one."""
    policy = make(goal)
    rng = random.Random(11)
    histories = policy.new_histories()
    plain: dict[str, list[float]] = {}
    finished: set[str] = set()
    for _ in range(600):
        rid = f"r{rng.randrange(25)}"
        if rid in finished:
            continue
        values = plain.setdefault(rid, [])
        if values and rng.random() < 0.03:
            values.clear()  # a retry: its reports start over
        if rng.random() < 0.04:
            finished.add(rid)
            histories.finish(rid)
            continue
        value = round(rng.uniform(-1, 1), 1)  # coarse: ties are common
        values.append(value)
        histories.report(rid, value, step=len(values))
        snapshots = {i: RunSnapshot(list(v), finished=i in finished) for i, v in plain.items()}
        assert policy.should_stop(rid, histories) == reference(policy, rid, snapshots), rid


@pytest.mark.parametrize("make", POLICIES)
def test_a_decision_reads_as_many_values_at_10_runs_as_at_2000(make) -> None:
    def values_read(runs: int) -> int:
        policy = make("minimize")
        histories = policy.new_histories()
        rng = random.Random(3)
        for i in range(runs):
            for _ in range(12):
                histories.report(f"r{i}", rng.random())
        histories.touched = 0
        for _ in range(12):
            histories.report("new", rng.random())
            policy.should_stop("new", histories)
        return histories.touched

    small, large = values_read(10), values_read(2000)
    assert 0 < large <= small
