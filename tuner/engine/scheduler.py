"""The one adapter that turns a pure early-termination policy into a Ray Tune scheduler."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from ray.tune.schedulers import FIFOScheduler, TrialScheduler

from tuner.core.policies import EarlyTerminationPolicy, RunHistories
from tuner.core.registry import SEM_SUFFIX
from tuner.core.values import as_real

STEP_KEY = "_step"  # 1-based report number within the current attempt of a run
FINAL_KEY = "_final"  # marks the end-of-run report (test metrics), which policies ignore


class _QuietCheckpointAccess(logging.Filter):
    """Ray warns once when a scheduler calls the controller's checkpoint(); we do on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "access checkpoint interface" not in record.getMessage()


_QUIET_CHECKPOINT_ACCESS = _QuietCheckpointAccess()


class PolicyScheduler(FIFOScheduler):
    """Keeps each run's primary-metric history, indexed as the policy reads it, and asks the
    policy after every report: a decision costs the same whatever the number of runs."""

    def __init__(
        self,
        policy: EarlyTerminationPolicy | None,
        metric: str,
        history_source: Callable[[], tuple[dict[str, list[float]], set[str]]] | None = None,
        max_run_seconds: float | None = None,
        stop_board: str | None = None,
    ) -> None:
        super().__init__()
        # addFilter keeps one copy of the same filter object, however many schedulers are made.
        logging.getLogger("ray.tune.execution.tune_controller").addFilter(_QUIET_CHECKPOINT_ACCESS)
        self.policy = policy
        self.primary_metric = metric
        self.histories: RunHistories = (
            policy.new_histories() if policy else RunHistories(True, lambda k: False)
        )
        self.stopped_at: dict[str, int] = {}  # trial id -> interval k it was stopped at
        self.diverged: dict[str, int] = {}  # trial id -> interval k that reported NaN or inf
        self.max_run_seconds = max_run_seconds
        self.timed_out: set[str] = set()  # runs stopped at max_run_minutes
        # When each run was first seen running. Empty again after a driver restart (this object
        # is unpickled as it was created): a resumed run is timed from the restart.
        self._running_since: dict[str, float] = {}
        # A restarted driver unpickles this scheduler as it was created; the store has the rest.
        self._history_source = history_source
        self._loaded = False
        self._announced: set[str] = set()
        self.stop_board = stop_board  # the experiment id whose board runs read (None: Ray stops)
        self._board: Any = None

    def __getstate__(self) -> dict[str, Any]:
        # Pickled into Ray's experiment checkpoint: a restarted driver finds its own board.
        return {**self.__dict__, "_board": None}

    def choose_trial_to_run(self, tune_controller: Any) -> Any:
        # Ray asks this at every step of its loop: the place to stop overdue runs, whether or
        # not they report (a run stuck before its first epoch included).
        self._stop_overdue(tune_controller)
        trial = super().choose_trial_to_run(tune_controller)
        if trial is not None and trial.trial_id not in self._announced:
            self._announced.add(trial.trial_id)
            # Ray Tune checkpoints the experiment on a timer; a trial started in between would be
            # unknown to a restarted driver. Checkpoint before each new trial starts instead.
            tune_controller.checkpoint(force=True)
        return trial

    def _stop_overdue(self, tune_controller: Any) -> None:
        if self.max_run_seconds is None:
            return
        now = time.time()
        for trial in list(tune_controller.get_live_trials()):
            if trial.status != "RUNNING" or trial.trial_id in self.timed_out:
                continue
            since = self._running_since.setdefault(trial.trial_id, now)
            if now - since >= self.max_run_seconds:
                self.timed_out.add(trial.trial_id)
                tune_controller.stop_trial(trial)

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self._loaded = True
            if self._history_source is not None:
                self.histories.load(*self._history_source())

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> str:
        self._ensure_loaded()
        value = result.get(self.primary_metric)
        if result.get(FINAL_KEY) or value is None:
            return TrialScheduler.CONTINUE
        if trial.trial_id in self.stopped_at:
            return TrialScheduler.STOP  # it went on after its stop was posted: end it here
        step = int(result.get(STEP_KEY, self.histories.reports(trial.trial_id) + 1))
        number = as_real(value)
        if number is None or not math.isfinite(number):
            # DESIGN §4: the run ends at once as failed and the value never enters any
            # policy's statistics (its earlier, finite values stay).
            self.diverged[trial.trial_id] = step
            return TrialScheduler.STOP
        sem = as_real(result.get(f"{self.primary_metric}{SEM_SUFFIX}"))
        # A retry starts at step 1; a trial group's standard error widens what counts as worse.
        k = self.histories.report(trial.trial_id, number, step, sem or 0.0)
        if self.policy is None:
            return TrialScheduler.CONTINUE
        if self.policy.should_stop(trial.trial_id, self.histories):
            self.stopped_at[trial.trial_id] = k
            self.histories.finish(trial.trial_id)  # its history is final from here on
            return self._stop(trial.trial_id)
        return TrialScheduler.CONTINUE

    def _stop(self, trial_id: str) -> str:
        """Posts the stop on the board and lets the run end itself with its test metrics;
        without a board, Ray ends the run at this report."""
        if self.stop_board is not None and self._board is None:
            from tuner.engine.stop_board import find_board

            self._board = find_board(self.stop_board)
        if self._board is None:
            return TrialScheduler.STOP
        import ray

        ray.get(self._board.request.remote(trial_id))  # posted before the run is let go on
        return TrialScheduler.CONTINUE

    def on_trial_complete(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> None:
        self.histories.finish(trial.trial_id)

    def on_trial_error(self, tune_controller: Any, trial: Any) -> None:
        self.histories.finish(trial.trial_id)

    def on_trial_remove(self, tune_controller: Any, trial: Any) -> None:
        self.histories.finish(trial.trial_id)

    def debug_string(self) -> str:
        return f"PolicyScheduler({type(self.policy).__name__ if self.policy else 'none'})"
