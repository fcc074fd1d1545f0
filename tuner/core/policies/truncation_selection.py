"""Truncation selection: stop a run that ranks in the worst p % of runs at the same interval."""

from __future__ import annotations

import math
from collections.abc import Mapping

from tuner.core.policies.base import EarlyTerminationPolicy, RunSnapshot, best_until, strictly_worse


class TruncationSelectionPolicy(EarlyTerminationPolicy):
    def __init__(
        self,
        goal: str,
        *,
        truncation_percentage: int,
        exclude_finished_runs: bool = False,
        evaluation_interval: int = 1,
        delay_evaluation: int = 0,
    ) -> None:
        super().__init__(
            goal, evaluation_interval=evaluation_interval, delay_evaluation=delay_evaluation
        )
        if not 1 <= truncation_percentage <= 99:
            raise ValueError(
                f"truncation_percentage must be an integer in 1..99, got {truncation_percentage}"
            )
        self.truncation_percentage = truncation_percentage
        self.exclude_finished_runs = exclude_finished_runs

    def decide(self, run_id: str, k: int, runs: Mapping[str, RunSnapshot]) -> bool:
        population = [
            best_until(r.values, k, self.maximize)
            for rid, r in runs.items()
            if len(r.values) >= k
            and (rid == run_id or not (self.exclude_finished_runs and r.finished))
        ]
        own = best_until(runs[run_id].values, k, self.maximize)
        return _rank_from_worst(own, population, self.maximize) <= _cutoff(
            len(population), self.truncation_percentage
        )


def _rank_from_worst(value: float, population: list[float], maximize: bool) -> int:
    """1 = worst. Runs tied with ``value`` count as better, so r ranks below all its ties."""
    return 1 + sum(1 for other in population if strictly_worse(other, value, maximize))


def _cutoff(population_size: int, percentage: int) -> int:
    return math.floor(population_size * percentage / 100)
