"""Truncation selection: stop a run that ranks in the worst p % of runs at the same interval."""

from __future__ import annotations

import math

from tuner.core.policies.base import EarlyTerminationPolicy
from tuner.core.policies.histories import RunHistories


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

    def new_histories(self) -> RunHistories:
        return RunHistories(
            self.maximize, self.is_evaluation_point, finished_bests=self.exclude_finished_runs
        )

    def decide(self, run_id: str, k: int, runs: RunHistories) -> bool:
        # Ranked at the better end of its standard error (a trial group's; else 0), where r's
        # own value then counts among the worse ones: it is taken out again.
        sem = runs.sem(run_id)
        own = runs.best(run_id) + (sem if self.maximize else -sem)
        itself = sem > max(1e-12 * abs(own), 1e-15)  # as count_worse tells values apart
        size, worse = runs.count(k), runs.count_worse(k, own) - itself
        if self.exclude_finished_runs:
            # The population keeps r itself even when r is marked finished.
            own_finished = runs.is_finished(run_id)
            size -= runs.count(k, finished_only=True) - own_finished
            worse -= runs.count_worse(k, own, finished_only=True) - (itself and own_finished)
        # Rank 1 = worst; runs tied with r count as better, so r ranks below all its ties.
        return 1 + worse <= _cutoff(size, self.truncation_percentage)


def _cutoff(population_size: int, percentage: int) -> int:
    return math.floor(population_size * percentage / 100)
