"""ASHA: asynchronous successive halving (DESIGN §4).

Rungs sit at k = g·η^i below max_t. A run reaching a rung is compared with the values that
runs reaching that rung before it recorded there: it stops when its best so far is strictly
worse than the (1 − 1/η) quantile of them, so about 1/η of the runs go on past each rung. The
first run at a rung always continues. ``evaluation_interval`` and ``delay_evaluation`` do not
apply: the rungs are the schedule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tuner.core.policies.base import EarlyTerminationPolicy, RunSnapshot, best_until, strictly_worse


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

    def rungs(self) -> list[int]:
        """k = g·η^i for i = 0, 1, … while k < max_t."""
        found, k = [], self.grace_period
        while k < self.max_t:
            found.append(k)
            k *= self.reduction_factor
        return found

    def is_evaluation_point(self, k: int) -> bool:
        return k in self.rungs()

    def decide(self, run_id: str, k: int, runs: Mapping[str, RunSnapshot]) -> bool:
        # Runs with k reports already reached rung k before this one did (it reports k now).
        recorded = [
            best_until(r.values, k, self.maximize)
            for rid, r in runs.items()
            if rid != run_id and len(r.values) >= k
        ]
        if not recorded:
            return False
        cutoff = _cutoff(recorded, self.reduction_factor, self.maximize)
        return strictly_worse(
            best_until(runs[run_id].values, k, self.maximize), cutoff, self.maximize
        )


def _cutoff(recorded: Sequence[float], reduction_factor: int, maximize: bool) -> float:
    """The (1 − 1/η) quantile in the better-is-higher orientation, interpolated linearly
    between order statistics (numpy's default), back in the goal's own orientation."""
    oriented = sorted(v if maximize else -v for v in recorded)
    position = (1 - 1 / reduction_factor) * (len(oriented) - 1)
    low = int(position)
    high = min(low + 1, len(oriented) - 1)
    value = oriented[low] + (position - low) * (oriented[high] - oriented[low])
    return value if maximize else -value
