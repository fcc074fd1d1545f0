"""ASHA: asynchronous successive halving (DESIGN §4).

Rungs sit at k = g·η^i below max_t. A run reaching a rung is compared with the values that
runs reaching that rung before it recorded there: it stops when its best so far is strictly
worse than the (1 − 1/η) quantile of them, so about 1/η of the runs go on past each rung. The
first run at a rung always continues. ``evaluation_interval`` and ``delay_evaluation`` do not
apply: the rungs are the schedule. Without a grace period, :func:`derived_grace_period` takes
it from the run budget.
"""

from __future__ import annotations

import math

from tuner.core.policies.base import EarlyTerminationPolicy, strictly_worse
from tuner.core.policies.histories import RunHistories


class AshaPolicy(EarlyTerminationPolicy):
    def __init__(
        self, goal: str, *, grace_period: int = 1, reduction_factor: int = 3, max_t: int = 100
    ) -> None:
        super().__init__(goal)
        if grace_period < 1:
            raise ValueError(f"grace_period must be >= 1, got {grace_period}")
        if reduction_factor < 2:
            raise ValueError(f"reduction_factor must be >= 2, got {reduction_factor}")
        if max_t < 1:
            raise ValueError(f"max_t must be >= 1, got {max_t}")
        self.grace_period = grace_period
        self.reduction_factor = reduction_factor
        self.max_t = max_t
        self._rungs = frozenset(self.rungs())

    def rungs(self) -> list[int]:
        """k = g·η^i for i = 0, 1, … while k < max_t."""
        found, k = [], self.grace_period
        while k < self.max_t:
            found.append(k)
            k *= self.reduction_factor
        return found

    def is_evaluation_point(self, k: int) -> bool:
        return k in self._rungs

    def decide(self, run_id: str, k: int, runs: RunHistories) -> bool:
        # Runs with k reports reached rung k before this one did (it reports k now).
        recorded = runs.count(k) - 1
        if recorded < 1:
            return False
        own = runs.best(run_id)
        low, high, weight = _cutoff_position(recorded, self.reduction_factor)

        def oriented(i: int) -> float:
            # The i-th smallest in the better-is-higher orientation (negated for minimize).
            if self.maximize:
                return runs.order_statistic(k, i, of="bests", without=own)
            return -runs.order_statistic(k, recorded - 1 - i, of="bests", without=own)

        below = oriented(low)
        value = below + weight * (oriented(high) - below) if high != low else below
        cutoff = value if self.maximize else -value
        return strictly_worse(own, cutoff, self.maximize, runs.sem(run_id))


def _cutoff_position(count: int, reduction_factor: int) -> tuple[int, int, float]:
    """Where the (1 − 1/η) quantile of ``count`` values sits, with linear interpolation
    between order statistics (numpy's default): (low index, high index, weight of high)."""
    position = (1 - 1 / reduction_factor) * (count - 1)
    low = int(position)
    return low, min(low + 1, count - 1), position - low


def derived_grace_period(max_t: int, max_total_runs: int, reduction_factor: int) -> int:
    """The grace period that gives the run budget as many rungs as it can fill: with N runs,
    about N/η^s reach the s-th rung, so s = ⌊log_η N⌋ rungs (at most those below max_t) and
    g = ⌈max_t / η^s⌉. A first rung at one epoch, the old default, judged runs on their
    noisiest report; 40 runs of 30 epochs get rungs 2, 6 and 18."""
    if max_t < 1 or max_total_runs < 1 or reduction_factor < 2:
        raise ValueError(
            "max_t and max_total_runs must be >= 1 and reduction_factor >= 2, got "
            f"{max_t}, {max_total_runs}, {reduction_factor}"
        )
    rungs = 0
    while reduction_factor ** (rungs + 1) <= max_total_runs:
        rungs += 1
    return max(1, math.ceil(max_t / reduction_factor**rungs))
