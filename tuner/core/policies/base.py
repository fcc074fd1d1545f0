"""The early-termination policy base: a schedule plus one decision method.

Policies are pure. They see plain snapshots of reported primary-metric values and return a
decision; they never touch Ray, the store or a clock (DESIGN.md §4).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RunSnapshot:
    """The primary-metric values a run has reported so far, one per interval, in order."""

    values: Sequence[float]
    finished: bool = False


class EarlyTerminationPolicy(ABC):
    """Decides at each scheduled report whether a run should stop.

    A run is evaluated at its k-th report iff ``k >= delay_evaluation`` and
    ``k % evaluation_interval == 0``.
    """

    def __init__(
        self, goal: str, *, evaluation_interval: int = 1, delay_evaluation: int = 0
    ) -> None:
        if goal not in ("minimize", "maximize"):
            raise ValueError(f"goal must be 'minimize' or 'maximize', got {goal!r}")
        if evaluation_interval < 1:
            raise ValueError(f"evaluation_interval must be >= 1, got {evaluation_interval}")
        if delay_evaluation < 0:
            raise ValueError(f"delay_evaluation must be >= 0, got {delay_evaluation}")
        self.maximize = goal == "maximize"
        self.evaluation_interval = evaluation_interval
        self.delay_evaluation = delay_evaluation

    def is_evaluation_point(self, k: int) -> bool:
        return k >= 1 and k >= self.delay_evaluation and k % self.evaluation_interval == 0

    def should_stop(self, run_id: str, runs: Mapping[str, RunSnapshot]) -> bool:
        """True when ``run_id`` should stop after its latest report."""
        k = len(runs[run_id].values)
        return self.is_evaluation_point(k) and self.decide(run_id, k, runs)

    @abstractmethod
    def decide(self, run_id: str, k: int, runs: Mapping[str, RunSnapshot]) -> bool:
        """The policy's rule at interval ``k``, which the schedule says to evaluate."""


def best_until(values: Sequence[float], k: int, maximize: bool) -> float:
    """b_r(k): the best of the first k values under the goal."""
    head = values[:k]
    return max(head) if maximize else min(head)


def strictly_worse(value: float, reference: float, maximize: bool) -> bool:
    """Worse under the goal, ignoring float noise at the boundary (a tie is never worse)."""
    if math.isclose(value, reference, rel_tol=1e-12, abs_tol=1e-15):
        return False
    return value < reference if maximize else value > reference
