"""The driver: runs one stored experiment on Ray Tune and records everything in the store.

Run it in-process with :func:`run_experiment` or as ``python -m tuner.engine.driver EXPERIMENT_ID``
(one process per experiment, which is how the dispatcher starts it).
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time

from tuner.core.settings import Settings
from tuner.core.spec import ExperimentSpec, parse_spec
from tuner.engine import ray_checkpoint
from tuner.engine.history import StoredHistories, warm_start_runs
from tuner.engine.journal import replay_journal
from tuner.engine.outcome import as_utc_epoch, outcome_from_store
from tuner.engine.ray_runtime import init_ray, shutdown_ray, store_was_away, tunedrive_cause
from tuner.engine.stopping import heartbeat, make_stopper
from tuner.engine.store_link import (
    CURRENT_LEASES,
    CURRENT_SETTINGS,
    StoreLink,
    StoreNumbers,
    journal_path,
)
from tuner.errors import LeaseLost, StoreUnavailable, TunedriveError
from tuner.store import ExperimentRecord, Store, scored_runs
from tuner.store.faults import describe
from tuner.store.records import FINISHED_RUN_STATES

log = logging.getLogger("tunedrive.driver")


def run_experiment(
    experiment_id: str,
    settings: Settings,
    store: Store | None = None,
    generation: int | None = None,
) -> ExperimentRecord:
    """Runs the experiment to its end and returns its final record; never raises for a bad run.
    StoreUnavailable when the store could not be written within the retry cap: the rows are
    journaled, the lease left to expire, and the next driver goes on from there.

    ``generation`` is the lease the dispatcher started this driver with; without one (``tunedrive
    run``, tests) the driver takes the next lease itself. Every write carries it: a driver
    whose lease was taken over stops without writing anything more."""
    own_store = store is None
    store = store or Store.open(settings.resolved_database_url)
    try:
        if generation is None:
            generation = store.start_driver(experiment_id, f"{socket.gethostname()}-in-process")
        CURRENT_LEASES[experiment_id] = generation
        CURRENT_SETTINGS[experiment_id] = settings
        return _drive(experiment_id, settings, store, generation)
    except LeaseLost as lost:
        log.warning("%s", lost)
        return store.get_experiment(experiment_id)
    finally:
        if own_store:
            store.close()


def _drive(
    experiment_id: str, settings: Settings, store: Store, generation: int
) -> ExperimentRecord:
    record = store.get_experiment(experiment_id)
    if record.cancel_requested:  # canceled while queued for a (re)start: close every run
        if record.refit_request:
            store.finish_refit(experiment_id, generation)
        else:
            store.finish_experiment(experiment_id, "canceled", "canceled by request", generation)
        return store.get_experiment(experiment_id)
    spec = parse_spec(record.spec)
    store.mark_running(experiment_id, generation)
    # What the previous driver could not write comes first (DESIGN §5: nothing is lost).
    replay_journal(store, experiment_id, generation, journal_path(settings, experiment_id))
    record = store.get_experiment(experiment_id)
    link = StoreLink(experiment_id, generation, store, settings)
    alive = threading.Event()
    threading.Thread(
        target=heartbeat,
        args=(store, experiment_id, generation, alive, link.writer.broken),
        daemon=True,
    ).start()
    try:
        if record.refit_request:
            from tuner.engine.refitting import refit_stretch

            status, reason = "refit", None
            refit_stretch(spec, record, settings, link)
        else:
            status, reason = _tune(spec, record, settings, link)
    except (LeaseLost, StoreUnavailable):
        raise
    except Exception as err:
        # Ray Tune re-raises what a callback raised, possibly wrapped in its own error.
        cause = tunedrive_cause(err)
        if isinstance(cause, LeaseLost | StoreUnavailable):
            raise cause from err
        if store_was_away(err):
            # A read the store could not answer (an outage): not the experiment's failure. The
            # lease expires and the next driver goes on from the checkpoint.
            raise StoreUnavailable(f"experiment {experiment_id}: {describe(err)}") from err
        if isinstance(cause, TunedriveError):
            status, reason = "failed", str(cause)
        else:
            log.exception("experiment %s failed", experiment_id)
            status, reason = "failed", f"{type(err).__name__}: {err}"
        if record.refit_request:  # a refit that could not run leaves the experiment as it was
            log.warning("experiment %s: the refit failed: %s", experiment_id, reason)
            status = "refit"
    finally:
        alive.set()
    # A driver fenced off while it still ran may have journaled after this one's start.
    replay_journal(store, experiment_id, generation, journal_path(settings, experiment_id))
    if status == "refit":  # the experiment returns to how it had ended
        store.finish_refit(experiment_id, generation)
    else:
        store.finish_experiment(experiment_id, status, reason, generation, clear_refit=True)
    return store.get_experiment(experiment_id)


def _tune(
    spec: ExperimentSpec, record: ExperimentRecord, settings: Settings, link: StoreLink
) -> tuple[str, str]:
    from ray import tune

    from tuner.core.policies import build_policy
    from tuner.engine.recording import StoreRecorder
    from tuner.engine.scheduler import PolicyScheduler
    from tuner.engine.searchers import build_searcher
    from tuner.engine.stop_board import open_board
    from tuner.engine.trial import TrialPlan, experiment_seed

    store, generation = link.store, link.generation
    canceled = ("canceled", "canceled by request")
    # Start-up takes seconds (the data, Ray); a cancel meanwhile is honoured between stages.
    settings.ensure_dirs()
    definition = spec.definition
    metric, goal = spec.primary_metric.name, spec.primary_metric.goal.value
    loader = definition.resolve_loader()
    data = loader(spec, settings) if loader else None
    if store.cancel_requested(record.id):
        return canceled
    init_ray(settings, getattr(data, "ray_runtime_env", None))
    if store.cancel_requested(record.id):
        return canceled
    # Ray's own result files are off (the store is the record), so its result grid would warn.
    logging.getLogger("ray.tune.analysis.experiment_analysis").setLevel(logging.ERROR)
    # Each stretch of runs (the first, then one per extension) is its own Ray Tune experiment.
    stretch = f"-{record.extensions}" if record.extensions else ""
    experiment_dir = settings.resolved_storage_path / "_ray" / f"experiment-{record.id}{stretch}"
    resuming = record.driver_attempts > 1 and tune.Tuner.can_restore(str(experiment_dir))
    # Runs the store already has as finished are never trained again, whatever Ray's
    # checkpoint says (it may predate their end).
    done = (
        frozenset(r.trial_id for r in store.list_runs(record.id) if r.status in FINISHED_RUN_STATES)
        if resuming
        else frozenset()
    )
    # Runs of the stretches before this one (an extended experiment): the extension restarted
    # the experiment's clock, so they are the runs that started before it.
    earlier = [
        r
        for r in store.list_runs(record.id)
        if r.started_at
        and record.started_at
        and r.started_at < record.started_at
        and r.refit_of is None  # a refit is no draw of the search
    ]
    policy = build_policy(
        spec.early_termination,
        goal,
        int(spec.largest(definition.training_length) or 0) or None,
        spec.budget.max_total_runs,
    )
    plan = TrialPlan.of(
        spec,
        str(settings.resolved_storage_path / record.id),
        finished_trials=done,
        seed=experiment_seed(spec.sampling.seed, record.id),
        folds=spec.evaluation.folds,
        stop_board=record.id if policy is not None else None,
    )
    # This driver owns the board (the handle keeps it alive until the driver returns); the
    # scheduler and the runs find it by name.
    board = open_board(record.id) if plan.stop_board else None
    trainable = plan.trainable(data)
    duration = spec.budget.max_duration_minutes
    started = as_utc_epoch(record) or time.time()
    deadline = started + duration * 60 if duration else None
    if resuming:
        # A restarted driver: Ray Tune resumes from its experiment checkpoint, with the stopper,
        # scheduler and recorder it pickled there (they reload their state from the store).
        log.info("resuming %s from %s (%d runs finished)", record.id, experiment_dir, len(done))
        ray_checkpoint.reconcile(experiment_dir)
        tune.Tuner.restore(str(experiment_dir), trainable=trainable, resume_unfinished=True).fit()
        del board
        return outcome_from_store(spec, store, record.id, deadline, generation)
    first_run_by = time.time() + settings.resource_wait_minutes * 60
    stopper = make_stopper(link, deadline, settings.cancel_poll_seconds, first_run_by)
    scheduler = PolicyScheduler(
        policy,
        metric,
        StoredHistories(link),
        max_run_seconds=spec.budget.max_run_minutes * 60 if spec.budget.max_run_minutes else None,
        stop_board=plan.stop_board,
    )
    recorder = StoreRecorder(
        link,
        metric,
        goal == "maximize",
        scheduler,
        lambda: stopper.reason is not None,
        seed=plan.seed,
        divergence_hint=definition.divergence_hint,
    )
    new_runs = spec.planned_runs - len(earlier)
    if new_runs <= 0:
        return "completed", "every configuration of the space has run"
    # Every finished configuration is done (no sampler draws it again), whatever its end; the
    # sampler learns from the scored ones (DESIGN §5).
    ran = [(r.params, r.best_metric) for r in earlier if r.status in FINISHED_RUN_STATES]
    tuner = tune.Tuner(
        trainable,
        tune_config=tune.TuneConfig(
            search_alg=build_searcher(
                spec,
                scored_runs(earlier) + warm_start_runs(spec, store),
                ran,
                StoreNumbers(link),
                policy_stops=scheduler.stopped_at,
            ),
            scheduler=scheduler,
            num_samples=new_runs,
            max_concurrent_trials=spec.budget.concurrent_runs,
            reuse_actors=definition.reuse_workers,
        ),
        run_config=tune.RunConfig(
            name=experiment_dir.name,
            storage_path=str(experiment_dir.parent),
            stop=stopper,
            callbacks=[recorder],
            failure_config=tune.FailureConfig(max_failures=spec.max_failures),
            verbose=0,
        ),
    )
    tuner.fit()
    del board
    recorder.close_open_runs()
    if stopper.reason == "no_resources":
        return "failed", (
            f"no run could start within resource_wait_minutes "
            f"({settings.resource_wait_minutes:g}): no node had {spec.resources.cpu:g} CPUs and "
            f"{spec.resources.gpu:g} GPUs free for a run"
        )
    return outcome_from_store(spec, store, record.id, deadline, generation)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2) or (len(args) == 2 and not args[1].isdigit()):
        print(
            "usage: python -m tuner.engine.driver EXPERIMENT_ID [LEASE_GENERATION]", file=sys.stderr
        )
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    generation = int(args[1]) if len(args) == 2 else None
    try:
        record = run_experiment(args[0], Settings(), generation=generation)
    except StoreUnavailable as outage:
        # The lease is left to expire: a dispatcher restarts the experiment once the store is
        # back, and that driver writes the journal first.
        print(f"experiment {args[0]}: {outage}", file=sys.stderr)
        shutdown_ray()
        return 3
    shutdown_ray()
    print(f"experiment {record.id}: {record.status} ({record.stop_reason})")
    return 0 if record.status == "completed" else 1


if __name__ == "__main__":
    raise SystemExit(main())
