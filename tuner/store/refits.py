"""Refit requests (DESIGN §5): a finished experiment is queued once more to train one run's
configuration again, and returns to the state it had once that run has ended."""

from __future__ import annotations

from typing import Any

from tuner.errors import ConflictError
from tuner.store.base import StoreBase
from tuner.store.records import FINISHED_EXPERIMENT_STATES, ExperimentRecord

REFITTABLE = ("completed", "early_terminated")


class RefitStore(StoreBase):
    def request_refit(
        self, experiment_id: str, source_run_id: str, include_test: bool = False
    ) -> ExperimentRecord:
        """Queues the experiment to refit run ``source_run_id``; ConflictError unless the
        experiment has finished and the run is a finished run of it that is not a refit."""
        from tuner.store.models import RunRow

        with self._sessions.begin() as session:
            row = self._experiment_row(session, experiment_id)
            if row.status not in FINISHED_EXPERIMENT_STATES:
                raise ConflictError(
                    f"experiment {experiment_id} is {row.status}; only a finished experiment "
                    "refits (wait for it, or cancel it first)"
                )
            run = session.get(RunRow, source_run_id)
            if run is None or run.experiment_id != experiment_id:
                raise ConflictError(f"run {source_run_id} is not a run of {experiment_id}")
            if run.refit_of is not None:
                raise ConflictError(
                    f"run {source_run_id} is itself a refit (of {run.refit_of}); refit that run"
                )
            if run.status not in REFITTABLE or not run.final_metrics:
                raise ConflictError(
                    f"run {source_run_id} is {run.status}; only a run that finished training "
                    f"({', '.join(REFITTABLE)}) can be refitted"
                )
            row.refit_request = {
                "source": source_run_id,
                "include_test": bool(include_test),
                "status": row.status,
                "stop_reason": row.stop_reason,
            }
            row.status = "queued"
            row.started_at = row.finished_at = None
            row.cancel_requested, row.driver_attempts = False, 0
        return self.get_experiment(experiment_id)  # type: ignore[attr-defined, no-any-return]

    def finish_refit(self, experiment_id: str, generation: int | None) -> None:
        """Ends a refit's stretch: the experiment returns to the status and stop reason it had
        before, and every run still open under it is closed."""
        record = self.get_experiment(experiment_id)  # type: ignore[attr-defined]
        asked: dict[str, Any] = record.refit_request or {}
        self.finish_experiment(  # type: ignore[attr-defined]
            experiment_id,
            asked.get("status", "completed"),
            asked.get("stop_reason"),
            generation,
            clear_refit=True,
        )
