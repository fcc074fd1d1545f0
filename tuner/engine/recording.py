"""A Ray Tune callback that records run states and every metric row in the store as they come."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from ray.tune import Callback
from ray.tune.result import AUTO_RESULT_KEYS

from tuner.core.refits import REFIT_KEY, Refit
from tuner.core.sampling import RUN_NUMBER_KEY
from tuner.core.values import as_real
from tuner.engine.failures import FailureWatch, error_text
from tuner.engine.scheduler import FINAL_KEY, STEP_KEY, PolicyScheduler
from tuner.engine.store_link import StoreLink, StoreNumbers
from tuner.engine.trial import NODE_KEY, SEED_KEY, run_seed
from tuner.store import NewMetricRow, RunUpdate, utcnow
from tuner.store.records import FINISHED_RUN_STATES

log = logging.getLogger("tunedrive.recorder")
_RAY_KEYS = {
    *AUTO_RESULT_KEYS,
    "config",
    "done",
    "should_checkpoint",
    "checkpoint_dir_name",
    "experiment_tag",
    "trial_id",
    "date",
    "timestamp",
    "pid",
    "hostname",
    "node_ip",
    "time_this_iter_s",
    "time_total_s",
    "time_since_restore",
    "iterations_since_restore",
    "training_iteration",
}


def user_metrics(result: dict[str, Any]) -> dict[str, Any]:
    """The values the trainable reported, without Ray's bookkeeping or tunedrive's own keys;
    NaN and infinities as None (JSON has no such numbers, and PostgreSQL refuses them)."""
    return {
        k: None if isinstance(v, float) and not math.isfinite(v) else v
        for k, v in result.items()
        if k not in _RAY_KEYS and not k.startswith("_")
    }


@dataclass
class _RunState:
    """What the recorder knows of one run (a Ray trial) between its reports."""

    number: int
    attempt: int = 1
    best: float | None = None
    epochs: int = 0
    final_seen: bool = False  # its end-of-run report (test metrics) arrived
    started: bool = False  # its start (number, params, seed, time) is recorded
    open: bool = False  # started, not yet ended
    restarting: bool = False  # Ray announced a recovery; the next start is that attempt
    done_before: bool = False  # finished before a driver restart: ignored from then on


class StoreRecorder(Callback):
    """Records run changes and metric rows in the store, fenced by the driver's lease.

    Every change is written as it happens: a run's start and end, and each epoch's metric row
    (one short transaction each), so what the store says is what Ray has seen.
    """

    def __init__(
        self,
        link: StoreLink,
        metric: str,
        maximize: bool,
        scheduler: PolicyScheduler,
        is_stopping: Any,
        seed: int | None = None,
        divergence_hint: str = "",
    ) -> None:
        self.link = link
        self.divergence_hint = divergence_hint  # the trainable's advice, if it has one
        self.seed = seed  # the experiment's: each run's follows from it and its number
        self.metric = metric
        self.maximize = maximize
        self.scheduler = scheduler
        self.is_stopping = is_stopping
        self._updates: list[RunUpdate] = []
        self._rows: list[NewMetricRow] = []
        self._runs: dict[str, _RunState] = {}
        self._loaded = False
        self.failures = FailureWatch()

    def _ensure_loaded(self) -> None:
        """Picks up where a previous driver left off: Ray unpickles this callback as it was
        created, so the run numbers, attempts and finished runs come from the store."""
        if self._loaded:
            return
        self._loaded = True
        for run in self.link.store.list_runs(self.link.experiment_id):
            if run.started_at is None and run.status == "queued":
                continue  # a number reserved for a draw that has not started (yet)
            self._runs[run.trial_id] = _RunState(
                number=run.number,
                attempt=run.attempts,
                best=run.best_metric,
                final_seen=run.final_metrics is not None,
                started=run.started_at is not None,
                done_before=run.status in FINISHED_RUN_STATES,
            )

    def _ignored(self, trial: Any) -> bool:
        self._ensure_loaded()
        state = self._runs.get(trial.trial_id)
        return state is not None and state.done_before

    # -- Ray Tune hooks ------------------------------------------------------------------------
    def on_trial_start(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        if self._ignored(trial):
            return
        tid = trial.trial_id
        state = self._runs.get(tid)
        if state is not None and state.started:  # Ray starts a failed run again: same run
            state.open = True
            if not state.restarting:
                self._new_attempt(state, trial)
            state.restarting = False
            self.flush()
            return
        keys = (RUN_NUMBER_KEY, REFIT_KEY)
        params = {name: value for name, value in trial.config.items() if name not in keys}
        refit = Refit.from_config(trial.config[REFIT_KEY]) if REFIT_KEY in trial.config else None
        # The store handed this trial its number when the searcher drew it (DESIGN §5): the
        # seed was derived from it, and it is never changed here.
        number = trial.config.get(RUN_NUMBER_KEY)
        if number is None:  # a searcher of someone else's: the store numbers it now
            number = StoreNumbers(self.link)(tid)
        # Its first start, or a start after attempts that failed before one (a node lost as
        # the run was being placed): either way its start is recorded whole now.
        state = state or self._runs.setdefault(tid, _RunState(number=number))
        state.number, state.open, state.started, state.restarting = number, True, True, False
        self.failures.start(tid)
        seed = None if self.seed is None else run_seed(self.seed, number)
        self._updates.append(
            RunUpdate(
                tid,
                status="running",
                number=state.number,
                seed=refit.seed if refit is not None else seed,
                params=params,
                started_at=utcnow(),
                attempts=state.attempt,
                artifact_dir=tid,
                refit_of=refit.source if refit is not None else None,
                refit=refit.stored() if refit is not None else None,
            )
        )
        self.flush()

    def on_trial_recover(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        if self._ignored(trial):
            return
        state = self._runs.setdefault(trial.trial_id, _RunState(number=0))
        state.restarting = True
        self._new_attempt(state, trial)
        self.flush()

    def _new_attempt(self, state: _RunState, trial: Any) -> None:
        state.attempt += 1
        state.best, state.epochs = None, 0
        self._updates.append(
            RunUpdate(
                trial.trial_id, status="running", attempts=state.attempt, error=error_text(trial)
            )
        )

    def on_trial_result(
        self, iteration: int, trials: list[Any], trial: Any, result: dict[str, Any], **info: Any
    ) -> None:
        if self._ignored(trial):
            return
        tid = trial.trial_id
        state = self._runs.setdefault(tid, _RunState(number=0))
        values = user_metrics(result)
        if result.get(FINAL_KEY):
            state.final_seen = True
            self._updates.append(RunUpdate(tid, final_metrics=values))
            return
        step = int(result.get(STEP_KEY, state.epochs + 1))
        primary = as_real(values.get(self.metric))
        primary = primary if primary is not None and math.isfinite(primary) else None
        update = RunUpdate(tid, epochs=step)
        if primary is not None and (
            state.best is None or (primary > state.best if self.maximize else primary < state.best)
        ):
            state.best = update.best_metric = primary
        if NODE_KEY in result:
            update.node = str(result[NODE_KEY])
        if SEED_KEY in result:
            update.seed = int(result[SEED_KEY])
        state.epochs = step
        self._updates.append(update)
        self._rows.append(NewMetricRow(tid, state.attempt, step, primary, values, utcnow()))
        self.flush()  # every epoch's row is in the store before the next result is handled

    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        if self._ignored(trial):
            return
        tid = trial.trial_id
        state = self._runs.get(tid)
        if tid in self.scheduler.diverged:
            hint = f" ({self.divergence_hint})" if self.divergence_hint else ""
            update = RunUpdate(
                tid,
                status="failed",
                error=f"diverged at report {self.scheduler.diverged[tid]}: {self.metric} was "
                f"not a finite number{hint}",
            )
        elif tid in self.scheduler.timed_out:
            minutes = (self.scheduler.max_run_seconds or 0) / 60
            update = RunUpdate(
                tid, status="canceled", error=f"stopped at max_run_minutes ({minutes:g} min)"
            )
        elif tid in self.scheduler.stopped_at:
            update = RunUpdate(
                tid, status="early_terminated", stopped_at_interval=self.scheduler.stopped_at[tid]
            )
        elif (state is not None and state.final_seen) or not self.is_stopping():
            update = RunUpdate(tid, status="completed")
        else:
            update = RunUpdate(tid, status="canceled")
        update.finished_at = utcnow()
        if state is not None:
            state.open = False
        self._updates.append(update)
        self.flush()
        self.failures.ended(tid, update.status == "failed", update.error)

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        if self._ignored(trial):
            return
        state = self._runs.get(trial.trial_id)
        if state is not None:
            state.open = False
        error = error_text(trial)
        self._updates.append(
            RunUpdate(trial.trial_id, status="failed", finished_at=utcnow(), error=error)
        )
        self.flush()
        self.failures.ended(trial.trial_id, True, error)

    def on_experiment_end(self, trials: list[Any], **info: Any) -> None:
        self.close_open_runs()

    def close_open_runs(self) -> None:
        """Ends runs Ray stopped without a completion event (a cancel or the duration limit).
        Not when the store could not be written: then Ray stops them because this driver
        ends, and the next driver goes on with them."""
        if self.link.writer.broken.is_set():
            return
        now = utcnow()
        for tid, state in sorted(self._runs.items()):
            if state.open:
                status = "completed" if state.final_seen else "canceled"
                self._updates.append(RunUpdate(tid, status=status, finished_at=now))
                state.open = False
        self.flush()

    # -- writing ------------------------------------------------------------------------------
    def flush(self) -> None:
        """Writes what is buffered: transient store errors are retried up to a cap, then the
        rows are journaled for the next driver (StoreUnavailable); an error no retry fixes
        raises StoreRefused at once. Rows are never dropped."""
        updates, rows = self._updates, self._rows
        self._updates, self._rows = [], []
        self.link.writer.write(updates, rows)
