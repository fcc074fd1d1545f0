"""Median stopping: stop a run whose best is worse than the median of other runs' running means."""

from __future__ import annotations

from tuner.core.policies.base import EarlyTerminationPolicy, strictly_worse
from tuner.core.policies.histories import RunHistories


class MedianStoppingPolicy(EarlyTerminationPolicy):
    def __init__(
        self,
        goal: str,
        *,
        min_runs: int = 3,
        evaluation_interval: int = 1,
        delay_evaluation: int = 0,
    ) -> None:
        super().__init__(
            goal, evaluation_interval=evaluation_interval, delay_evaluation=delay_evaluation
        )
        if min_runs < 1:
            raise ValueError(f"min_runs must be >= 1, got {min_runs}")
        self.min_runs = min_runs

    def new_histories(self) -> RunHistories:
        return RunHistories(self.maximize, self.is_evaluation_point, bests=False, means=True)

    def decide(self, run_id: str, k: int, runs: RunHistories) -> bool:
        others = runs.count(k) - 1  # every run with k reports but r
        if others < self.min_runs:
            return False
        own_mean = runs.mean(run_id)
        middle = [
            runs.order_statistic(k, i, of="means", without=own_mean)
            for i in _middle_indices(others)
        ]
        reference = sum(middle) / len(middle)
        return strictly_worse(runs.best(run_id), reference, self.maximize, runs.sem(run_id))


def _middle_indices(count: int) -> tuple[int, ...]:
    """The median's order statistics: the middle one, or the two middle ones of an even count."""
    half = count // 2
    return (half,) if count % 2 else (half - 1, half)
