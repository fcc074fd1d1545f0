"""Early-termination policies (DESIGN.md §4) and :func:`build_policy` from a spec."""

from __future__ import annotations

from typing import Any

from tuner.core.policies.asha import AshaPolicy, derived_grace_period
from tuner.core.policies.bandit import BanditPolicy
from tuner.core.policies.base import EarlyTerminationPolicy, RunSnapshot
from tuner.core.policies.histories import RunHistories
from tuner.core.policies.median_stopping import MedianStoppingPolicy
from tuner.core.policies.truncation_selection import TruncationSelectionPolicy

_POLICIES: dict[str, type[EarlyTerminationPolicy]] = {
    "bandit": BanditPolicy,
    "median_stopping": MedianStoppingPolicy,
    "truncation_selection": TruncationSelectionPolicy,
    "asha": AshaPolicy,
}


def build_policy(
    settings: Any, goal: str, training_length: int | None = None, max_total_runs: int = 1
) -> EarlyTerminationPolicy | None:
    """A policy from the spec's ``early_termination`` model (None or ``policy: none`` → None);
    ASHA's ``max_t`` defaults to the largest value of the trainable's training length, and
    its grace period to what the run budget fills (:func:`derived_grace_period`)."""
    if settings is None or settings.policy == "none":
        return None
    options = settings.model_dump(exclude={"policy"})
    if settings.policy == "asha":
        if options.get("max_t") is None:
            options["max_t"] = training_length or 100
        if options.get("grace_period") is None:
            options["grace_period"] = derived_grace_period(
                options["max_t"], max_total_runs, options["reduction_factor"]
            )
    return _POLICIES[settings.policy](goal, **options)


__all__ = [
    "AshaPolicy",
    "BanditPolicy",
    "EarlyTerminationPolicy",
    "MedianStoppingPolicy",
    "RunHistories",
    "RunSnapshot",
    "TruncationSelectionPolicy",
    "build_policy",
]
