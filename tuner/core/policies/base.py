"""The early-termination policy base: a schedule plus one decision method.

Policies are pure. They read reported primary-metric values from :class:`RunHistories` (or
plain snapshots, which are indexed first) and return a decision; they never touch Ray, the
store or a clock (DESIGN.md §4). A decision reads a constant number of stored values.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tuner.core.policies.histories import RunHistories


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

    def new_histories(self) -> RunHistories:
        """An empty index of the values this policy's decisions read."""
        return RunHistories(self.maximize, self.is_evaluation_point)

    def histories_of(self, runs: Mapping[str, RunSnapshot]) -> RunHistories:
        """Plain snapshots, indexed (O(all values): for tests and one-off decisions)."""
        histories = self.new_histories()
        histories.load(
            {rid: list(r.values) for rid, r in runs.items()},
            [rid for rid, r in runs.items() if r.finished],
        )
        return histories

    def should_stop(self, run_id: str, runs: RunHistories | Mapping[str, RunSnapshot]) -> bool:
        """True when ``run_id`` should stop after its latest report."""
        histories = runs if isinstance(runs, RunHistories) else self.histories_of(runs)
        k = histories.reports(run_id)
        return self.is_evaluation_point(k) and self.decide(run_id, k, histories)

    @abstractmethod
    def decide(self, run_id: str, k: int, runs: RunHistories) -> bool:
        """The policy's rule at interval ``k`` (``run_id``'s latest report), which the schedule
        says to evaluate."""


def strictly_worse(value: float, reference: float, maximize: bool, sem: float = 0.0) -> bool:
    """Worse under the goal by more than ``sem``, the standard error of ``value`` (a trial
    group's, else 0), ignoring float noise at the boundary (a tie is never worse): a run whose
    measured spread reaches the reference is not told apart from it, so it goes on."""
    if math.isclose(value, reference, rel_tol=1e-12, abs_tol=1e-15):
        return False
    return value + sem < reference if maximize else value - sem > reference
