"""An experiment's ensemble of its runs: the wire record and the SDK call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field

from tuner.client.schemas import WireModel


class EnsembleMember(WireModel):
    run_id: str
    number: int
    weight: float


class Ensemble(WireModel):
    """Greedy forward selection with replacement over the runs' validation forecasts (Caruana
    et al.): each member's weight, and the ensemble's test figures beside the baseline's."""

    experiment_id: str
    members: list[EnsembleMember] = Field(default_factory=list)
    test: dict[str, float] = Field(default_factory=dict)
    baseline: dict[str, float] = Field(default_factory=dict)


class EnsembleCalls:
    """Mixed into :class:`tuner.client.Client`, whose HTTP helpers these use."""

    _read: Callable[..., Any]

    def ensemble(self, experiment_id: str) -> Ensemble:
        """The ensemble of the experiment's finished runs, built from what they stored."""
        return Ensemble.from_json(self._read(f"/api/experiments/{experiment_id}/ensemble"))
