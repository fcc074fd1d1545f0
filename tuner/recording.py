"""A Ray Tune callback that records run states and every metric row in the store, batched."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from ray.tune import Callback
from ray.tune.result import AUTO_RESULT_KEYS

from tuner.scheduler import FINAL_KEY, STEP_KEY, PolicyScheduler
from tuner.store import NewMetricRow, RunUpdate, Store, utcnow
from tuner.store.records import FINISHED_RUN_STATES
from tuner.trial import NODE_KEY

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
    """The values the trainable reported, without Ray's bookkeeping or tunedrive's own keys."""
    return {k: v for k, v in result.items() if k not in _RAY_KEYS and not k.startswith("_")}


class StoreRecorder(Callback):
    """Buffers run changes and metric rows; flushes at most every ``flush_seconds``.

    Start and end of a run are flushed at once so that what the store says is running is
    what is running; metric rows ride along in the next batch.
    """

    def __init__(
        self,
        store: Store,
        experiment_id: str,
        metric: str,
        maximize: bool,
        scheduler: PolicyScheduler,
        is_stopping: Any,
        flush_seconds: float = 0.5,
    ) -> None:
        self.store = store
        self.experiment_id = experiment_id
        self.metric = metric
        self.maximize = maximize
        self.scheduler = scheduler
        self.is_stopping = is_stopping
        self.flush_seconds = flush_seconds
        self._updates: list[RunUpdate] = []
        self._rows: list[NewMetricRow] = []
        self._last_flush = time.monotonic()
        self._numbers: dict[str, int] = {}
        self._attempts: dict[str, int] = {}
        self._best: dict[str, float] = {}
        self._epochs: dict[str, int] = {}
        self._final_seen: set[str] = set()
        self._open: set[str] = set()  # started, not yet ended
        self._restarting: dict[str, bool] = {}
        self._done_before: set[str] = set()  # runs finished before a driver restart
        self._loaded = False

    def _ensure_loaded(self) -> None:
        """Picks up where a previous driver left off: Ray unpickles this callback as it was
        created, so the run numbers, attempts and finished runs come from the store."""
        if self._loaded:
            return
        self._loaded = True
        for run in self.store.list_runs(self.experiment_id):
            tid = run.trial_id
            self._numbers[tid], self._attempts[tid] = run.number, run.attempts
            if run.best_metric is not None:
                self._best[tid] = run.best_metric
            if run.final_metrics is not None:
                self._final_seen.add(tid)
            if run.status in FINISHED_RUN_STATES:
                self._done_before.add(tid)

    def _ignored(self, trial: Any) -> bool:
        self._ensure_loaded()
        return trial.trial_id in self._done_before

    # -- Ray Tune hooks ------------------------------------------------------------------------
    def on_trial_start(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        if self._ignored(trial):
            return
        tid = trial.trial_id
        self._open.add(tid)
        if tid in self._numbers:  # Ray starts a failed run again: a new attempt, same run
            if not self._restarting.pop(tid, False):
                self._new_attempt(tid, trial)
            self.flush()
            return
        self._numbers[tid] = len(self._numbers) + 1
        self._attempts[tid] = 1
        self._updates.append(
            RunUpdate(
                tid,
                status="running",
                number=self._numbers[tid],
                params=dict(trial.config),
                started_at=utcnow(),
                attempts=1,
                artifact_dir=tid,
            )
        )
        self.flush()

    def on_trial_recover(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        if self._ignored(trial):
            return
        self._restarting[trial.trial_id] = True
        self._new_attempt(trial.trial_id, trial)
        self.flush()

    def _new_attempt(self, tid: str, trial: Any) -> None:
        self._attempts[tid] = self._attempts.get(tid, 1) + 1
        self._best.pop(tid, None)
        self._epochs.pop(tid, None)
        self._updates.append(
            RunUpdate(tid, status="running", attempts=self._attempts[tid], error=_error_text(trial))
        )

    def on_trial_result(
        self, iteration: int, trials: list[Any], trial: Any, result: dict[str, Any], **info: Any
    ) -> None:
        if self._ignored(trial):
            return
        tid = trial.trial_id
        values = user_metrics(result)
        if result.get(FINAL_KEY):
            self._final_seen.add(tid)
            self._updates.append(RunUpdate(tid, final_metrics=values))
            return
        step = int(result.get(STEP_KEY, self._epochs.get(tid, 0) + 1))
        primary = values.get(self.metric)
        primary = (
            float(primary) if isinstance(primary, int | float) and math.isfinite(primary) else None
        )
        update = RunUpdate(tid, epochs=step)
        if primary is not None:
            best = self._best.get(tid)
            if best is None or (primary > best if self.maximize else primary < best):
                self._best[tid] = primary
                update.best_metric = primary
        if NODE_KEY in result:
            update.node = str(result[NODE_KEY])
        self._epochs[tid] = step
        self._updates.append(update)
        self._rows.append(
            NewMetricRow(tid, self._attempts.get(tid, 1), step, primary, values, utcnow())
        )
        self._maybe_flush()

    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        if self._ignored(trial):
            return
        tid = trial.trial_id
        if tid in self.scheduler.stopped_at:
            update = RunUpdate(
                tid, status="early_terminated", stopped_at_interval=self.scheduler.stopped_at[tid]
            )
        elif tid in self._final_seen or not self.is_stopping():
            update = RunUpdate(tid, status="completed")
        else:
            update = RunUpdate(tid, status="canceled")
        update.finished_at = utcnow()
        self._open.discard(tid)
        self._updates.append(update)
        self.flush()

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        if self._ignored(trial):
            return
        self._open.discard(trial.trial_id)
        self._updates.append(
            RunUpdate(
                trial.trial_id, status="failed", finished_at=utcnow(), error=_error_text(trial)
            )
        )
        self.flush()

    def on_step_end(self, iteration: int, trials: list[Any], **info: Any) -> None:
        self._maybe_flush()

    def on_experiment_end(self, trials: list[Any], **info: Any) -> None:
        self.close_open_runs()

    def close_open_runs(self) -> None:
        """Ends runs Ray stopped without a completion event (a cancel or the duration limit)."""
        now = utcnow()
        for tid in sorted(self._open):
            status = "completed" if tid in self._final_seen else "canceled"
            self._updates.append(RunUpdate(tid, status=status, finished_at=now))
        self._open.clear()
        self.flush()

    # -- batching ------------------------------------------------------------------------------
    def _maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        updates, rows = self._updates, self._rows
        self._updates, self._rows = [], []
        self._last_flush = time.monotonic()
        self.store.apply(self.experiment_id, updates, rows)


def _error_text(trial: Any) -> str | None:
    """The latest failure of a trial, read from the error file Ray writes next to it."""
    path = getattr(trial, "error_file", None)
    try:
        text = Path(path).read_text() if path else None
    except OSError:
        text = None
    if not text:
        return None
    latest = text.rsplit("Failure # ", 1)[-1]
    return latest[-4000:]  # the tail holds the trainable's own traceback line
