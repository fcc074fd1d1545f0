"""A refit's stretch of an experiment (DESIGN §5): one Ray Tune run of the source run's
configuration, with :class:`tuner.core.refits.Refit` in its config, recorded like any run."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from tuner.core.refits import REFIT_KEY, Refit, source_epochs
from tuner.core.settings import Settings
from tuner.core.spec import ExperimentSpec
from tuner.engine.ray_runtime import init_ray
from tuner.engine.store_link import StoreLink
from tuner.errors import ConflictError
from tuner.store import ExperimentRecord

log = logging.getLogger("tunedrive.refit")


def refit_stretch(
    spec: ExperimentSpec, record: ExperimentRecord, settings: Settings, link: StoreLink
) -> None:
    """Trains the refit the experiment asked for, to its end (or to a cancel)."""
    from ray import tune

    from tuner.engine.recording import StoreRecorder
    from tuner.engine.scheduler import PolicyScheduler
    from tuner.engine.stopping import make_stopper
    from tuner.engine.trial import TrialPlan

    asked = record.refit_request or {}
    store = link.store
    source = store.get_run(asked["source"])
    definition = spec.definition
    if not definition.refits:
        raise ConflictError(f"trainable {definition.name!r} does not refit")
    refit = Refit(
        source=source.id,
        source_number=source.number,
        seed=source.seed,
        epochs=source_epochs(source.final_metrics or {}, spec.evaluation.repeats),
        include_test=bool(asked.get("include_test")),
        source_dir=str(Path(settings.resolved_storage_path) / record.id / source.artifact_dir),
    )
    settings.ensure_dirs()
    loader = definition.resolve_loader()
    data = loader(spec, settings) if loader else None
    init_ray(settings, getattr(data, "ray_runtime_env", None))
    logging.getLogger("ray.tune.analysis.experiment_analysis").setLevel(logging.ERROR)
    metric, goal = spec.primary_metric.name, spec.primary_metric.goal.value
    root = str(settings.resolved_storage_path / record.id)
    # One fold: a refit trains on everything its folds validated on.
    trainable = TrialPlan.of(spec, root, folds=1).trainable(data)
    scheduler = PolicyScheduler(None, metric)
    first_run_by = time.time() + settings.resource_wait_minutes * 60
    stopper = make_stopper(link, None, settings.cancel_poll_seconds, first_run_by)
    recorder = StoreRecorder(link, metric, goal == "maximize", scheduler, lambda: False)
    log.info("refitting run %s of %s (%s)", source.id, record.id, refit.stored())
    folder = settings.resolved_storage_path / "_ray"
    tune.Tuner(
        trainable,
        param_space={**source.params, REFIT_KEY: refit.to_config()},
        tune_config=tune.TuneConfig(num_samples=1, scheduler=scheduler),
        run_config=tune.RunConfig(
            name=f"refit-{record.id}-{source.number}-{record.driver_attempts}",
            storage_path=str(folder),
            stop=stopper,
            callbacks=[recorder],
            verbose=0,
        ),
    ).fit()
    recorder.close_open_runs()
