"""Refits: the wire record of a request and the SDK calls."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import ConfigDict

from tuner.client.schemas import Experiment, Run, WireModel


class RefitRequest(WireModel):
    """Which run to refit (default: the best) and whether the test period is trained on too
    (a production model, which then has no test figures)."""

    model_config = ConfigDict(extra="forbid")

    run_id: str | None = None
    include_test: bool = False


class RefitCalls:
    """Mixed into :class:`tuner.client.Client`, whose HTTP helpers these use."""

    _send: Callable[..., httpx.Response]
    runs: Callable[..., list[Run]]
    experiment: Callable[..., Experiment]

    def refit(
        self, experiment_id: str, run_id: str | None = None, include_test: bool = False
    ) -> Experiment:
        """Queues a refit of ``run_id`` (default: the best run); the experiment runs it and
        returns to how it had ended. ConflictError while the experiment still runs."""
        body = RefitRequest(run_id=run_id, include_test=include_test).model_dump()
        response = self._send("POST", f"/api/experiments/{experiment_id}/refit", json=body)
        return Experiment.from_json(response.json())

    def refits(self, experiment_id: str) -> list[Run]:
        """The experiment's refit runs, each with ``refit_of`` naming its source."""
        return [run for run in self.runs(experiment_id) if run.refit_of is not None]

    def wait_for_refit(
        self, experiment_id: str, timeout: float = 3600, poll: float = 2.0
    ) -> Run | None:
        """Waits until the experiment has no refit queued or running; returns the newest refit."""
        deadline = time.monotonic() + timeout
        while self.experiment(experiment_id).status in ("queued", "running"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"experiment {experiment_id} still refitting after {timeout}s")
            time.sleep(poll)
        done: list[Any] = self.refits(experiment_id)
        return max(done, key=lambda run: run.number) if done else None
