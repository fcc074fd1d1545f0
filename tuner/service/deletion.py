"""Deleting an experiment or a data set: the store's rows, then the files they own."""

from __future__ import annotations

import shutil

from tuner.core.settings import Settings
from tuner.core.uploads import dataset_path
from tuner.store import Store


def delete_experiment(store: Store, settings: Settings, experiment_id: str) -> None:
    """Its runs, metric rows, artifacts, Ray checkpoints, journal and driver log; refused
    (ConflictError) while it is queued or running."""
    store.delete_experiment(experiment_id)
    storage = settings.resolved_storage_path
    shutil.rmtree(storage / experiment_id, ignore_errors=True)
    for stretch in (storage / "_ray").glob(f"experiment-{experiment_id}*"):
        shutil.rmtree(stretch, ignore_errors=True)
    (storage / "_ray" / f"journal-{experiment_id}.jsonl").unlink(missing_ok=True)
    (settings.home_dir / f"driver-{experiment_id}.log").unlink(missing_ok=True)


def delete_dataset(store: Store, settings: Settings, dataset_id: str) -> None:
    """Its record and its file; refused (ConflictError) while a queued or running experiment
    uses it."""
    store.delete_dataset(dataset_id)
    dataset_path(settings, dataset_id).unlink(missing_ok=True)
