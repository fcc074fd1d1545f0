"""The one adapter that turns a pure early-termination policy into a Ray Tune scheduler."""

from __future__ import annotations

from typing import Any

from ray.tune.schedulers import FIFOScheduler, TrialScheduler

from tuner.policies import EarlyTerminationPolicy, RunSnapshot

STEP_KEY = "_step"  # 1-based report number within the current attempt of a run
FINAL_KEY = "_final"  # marks the end-of-run report (test metrics), which policies ignore


class PolicyScheduler(FIFOScheduler):
    """Keeps each run's primary-metric history and asks the policy after every report."""

    def __init__(self, policy: EarlyTerminationPolicy | None, metric: str) -> None:
        super().__init__()
        self.policy = policy
        self.primary_metric = metric
        self.histories: dict[str, list[float]] = {}
        self.finished: set[str] = set()
        self.stopped_at: dict[str, int] = {}  # trial id -> interval k it was stopped at

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> str:
        value = result.get(self.primary_metric)
        if result.get(FINAL_KEY) or value is None:
            return TrialScheduler.CONTINUE
        history = self.histories.setdefault(trial.trial_id, [])
        del history[
            max(0, int(result.get(STEP_KEY, len(history) + 1)) - 1) :
        ]  # a retry starts over
        history.append(float(value))
        if self.policy is None:
            return TrialScheduler.CONTINUE
        snapshot = {
            tid: RunSnapshot(values, finished=tid in self.finished)
            for tid, values in self.histories.items()
        }
        if self.policy.should_stop(trial.trial_id, snapshot):
            self.stopped_at[trial.trial_id] = len(history)
            return TrialScheduler.STOP
        return TrialScheduler.CONTINUE

    def on_trial_complete(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> None:
        self.finished.add(trial.trial_id)

    def on_trial_error(self, tune_controller: Any, trial: Any) -> None:
        self.finished.add(trial.trial_id)

    def on_trial_remove(self, tune_controller: Any, trial: Any) -> None:
        self.finished.add(trial.trial_id)

    def debug_string(self) -> str:
        return f"PolicyScheduler({type(self.policy).__name__ if self.policy else 'none'})"
