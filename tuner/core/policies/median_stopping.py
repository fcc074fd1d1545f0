"""Median stopping: stop a run whose best is worse than the median of other runs' running means."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import fmean, median

from tuner.core.policies.base import EarlyTerminationPolicy, RunSnapshot, best_until, strictly_worse


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

    def decide(self, run_id: str, k: int, runs: Mapping[str, RunSnapshot]) -> bool:
        others = [r.values for rid, r in runs.items() if rid != run_id and len(r.values) >= k]
        if len(others) < self.min_runs:
            return False
        reference = _median_of_running_means(others, k)
        return strictly_worse(
            best_until(runs[run_id].values, k, self.maximize), reference, self.maximize
        )


def _median_of_running_means(series: Sequence[Sequence[float]], k: int) -> float:
    """Median over runs of mean(x(1..k)); the mean of the two middle values for an even count."""
    return median(fmean(values[:k]) for values in series)
