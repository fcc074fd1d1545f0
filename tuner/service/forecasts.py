"""Forecasts with a finished run, by its trainable's own ``forecast`` capability.

The store is read here (:func:`forecast_request`); the forecast itself (:func:`run_forecast`)
loads the model and runs in a worker process, which is handed only plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuner.core.registry import get_trainable
from tuner.core.spec import parse_spec
from tuner.errors import ConflictError, NotFoundError

FORECASTABLE = ("completed", "early_terminated")


@dataclass(frozen=True)
class ForecastRequest:
    run_id: str
    trainable: str
    folder: Path
    spec: dict[str, Any]


def forecast_request(store: Any, settings: Any, run_id: str) -> ForecastRequest:
    """What a forecast with this run needs; NotFoundError or ConflictError say why none."""
    run = store.get_run(run_id)
    experiment = store.get_experiment(run.experiment_id)
    definition = get_trainable(experiment.trainable)
    if definition is None or definition.forecast is None:
        raise ConflictError(
            f"run {run_id} is of trainable {experiment.trainable!r}, which does not forecast "
            "(a command trial's model is its own code's to use)"
        )
    if run.status not in FORECASTABLE or not run.artifact_dir:
        raise ConflictError(
            f"run {run_id} is {run.status}; only a finished run ({', '.join(FORECASTABLE)}) "
            "forecasts"
        )
    folder = Path(settings.resolved_storage_path) / run.experiment_id / run.artifact_dir
    return ForecastRequest(run_id, experiment.trainable, folder, experiment.spec)


def model_archive(store: Any, settings: Any, run_id: str) -> bytes:
    """One ``.tar.gz`` of the files the run's trainable names as its portable model."""
    import io
    import tarfile

    request = forecast_request(store, settings, run_id)
    definition = get_trainable(request.trainable)
    files = definition.model_files if definition is not None else ()
    missing = [name for name in files if not (request.folder / name).is_file()]
    if not files or missing:
        raise NotFoundError(
            f"run {run_id} has no portable model (missing {', '.join(missing) or 'its files'}); "
            "a run trained before models were bundled has none"
        )
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in files:
            archive.add(request.folder / name, arcname=name)
    return buffer.getvalue()


def best_run_id(store: Any, experiment_id: str) -> str:
    best = store.best_run(experiment_id)
    if best is None:
        raise NotFoundError(f"experiment {experiment_id} has no finished run to forecast with")
    return str(best.id)


def run_forecast(request: ForecastRequest, body: bytes | None, settings: Any) -> list[dict]:
    """The trainable's forecast: rows of timestamp, horizon_step, forecast and quantiles."""
    definition = get_trainable(request.trainable)
    forecast = definition.resolve_forecast() if definition is not None else None
    if forecast is None:
        raise ConflictError(f"trainable {request.trainable!r} does not forecast")
    return forecast(request.folder, body, parse_spec(request.spec), settings)
