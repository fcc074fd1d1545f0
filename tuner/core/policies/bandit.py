"""Bandit policy: stop runs whose best is outside a slack of the best run so far."""

from __future__ import annotations

from tuner.core.policies.base import EarlyTerminationPolicy, strictly_worse
from tuner.core.policies.histories import RunHistories


class BanditPolicy(EarlyTerminationPolicy):
    def __init__(
        self,
        goal: str,
        *,
        slack_factor: float | None = None,
        slack_amount: float | None = None,
        evaluation_interval: int = 1,
        delay_evaluation: int = 0,
    ) -> None:
        super().__init__(
            goal, evaluation_interval=evaluation_interval, delay_evaluation=delay_evaluation
        )
        if (slack_factor is None) == (slack_amount is None):
            raise ValueError("give exactly one of slack_factor or slack_amount")
        if slack_factor is not None and slack_factor <= 0:
            raise ValueError(f"slack_factor must be > 0, got {slack_factor}")
        if slack_amount is not None and slack_amount < 0:
            raise ValueError(f"slack_amount must be >= 0, got {slack_amount}")
        self.slack_factor = slack_factor
        self.slack_amount = slack_amount

    def decide(self, run_id: str, k: int, runs: RunHistories) -> bool:
        # B(k) over every run with k reports, r's own b_r(k) among them.
        threshold = _threshold(runs.best_at(k), self.maximize, self.slack_factor, self.slack_amount)
        return strictly_worse(runs.best(run_id), threshold, self.maximize, runs.sem(run_id))


def _threshold(best: float, maximize: bool, factor: float | None, amount: float | None) -> float:
    """The worst value still inside the slack of ``best``.

    With a factor, B/(1+s) for maximize and B·(1+s) for minimize, written with |B| so that the
    slack still points away from B when B <= 0.
    """
    if amount is not None:
        return best - amount if maximize else best + amount
    assert factor is not None
    return best - abs(best) * factor / (1 + factor) if maximize else best + abs(best) * factor
