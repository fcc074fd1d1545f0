"""An experiment's ensemble of its finished runs, by its trainable's own ``ensemble``; its
forecast and its portable model, from its members' (tuner.core.ensembles)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tuner.core.ensembles import ENSEMBLE, member_folder, weighted_rows
from tuner.core.registry import get_trainable
from tuner.errors import ConflictError, NotFoundError
from tuner.service.forecasts import ForecastRequest, forecast_request, model_archive, run_forecast

MEMBERS = ("completed", "early_terminated")


def ensemble_request(store: Any, settings: Any, experiment_id: str) -> tuple[str, list[Any]]:
    """The trainable and the runs that may be members (finished, not refits), best first."""
    experiment = store.get_experiment(experiment_id)
    definition = get_trainable(experiment.trainable)
    if definition is None or definition.ensemble is None:
        raise ConflictError(
            f"trainable {experiment.trainable!r} has no ensemble (its runs store no validation "
            "forecasts to select on)"
        )
    runs = [
        r
        for r in store.list_runs(experiment_id, sort="metric", limit=10_000)
        if r.status in MEMBERS and r.refit_of is None and r.artifact_dir
    ]
    if not runs:
        raise NotFoundError(f"experiment {experiment_id} has no finished run to ensemble")
    root = Path(settings.resolved_storage_path) / experiment_id
    return experiment.trainable, [
        (r.id, r.number, str(root / r.artifact_dir), r.final_metrics or {}) for r in runs
    ]


def build_ensemble(trainable: str, runs: list[Any]) -> dict[str, Any]:
    """Runs in a worker process: the trainable's ensemble, its members named by run."""
    definition = get_trainable(trainable)
    build = definition.resolve_ensemble() if definition is not None else None
    if build is None:
        raise ConflictError(f"trainable {trainable!r} has no ensemble")
    try:
        made = build([Path(folder) for _, _, folder, _ in runs], [final for *_, final in runs])
    except ValueError as err:
        raise ConflictError(str(err)) from None
    by_folder = {Path(folder).name: (run_id, number) for run_id, number, folder, _ in runs}
    members = [
        {"run_id": by_folder[name][0], "number": by_folder[name][1], "weight": weight}
        for name, weight in sorted(made["weights"].items(), key=lambda item: -item[1])
    ]
    return {"members": members, "test": made["test"], "baseline": made["baseline"]}


def ensemble_forecast_request(
    store: Any, settings: Any, experiment_id: str
) -> tuple[str, list[Any], list[ForecastRequest]]:
    """The ensemble's candidates, and what a forecast with each needs."""
    trainable, runs = ensemble_request(store, settings, experiment_id)
    return trainable, runs, [forecast_request(store, settings, run_id) for run_id, *_ in runs]


def ensemble_forecast(
    trainable: str, runs: list[Any], requests: list[ForecastRequest], body: bytes | None,
    settings: Any,
) -> dict[str, Any]:
    """Runs in a model process: the ensemble, and the weighted mean of its members' forecasts
    after ``body`` (tuner.core.ensembles)."""
    made = build_ensemble(trainable, runs)
    by_run = {request.run_id: request for request in requests}
    members = made["members"]
    forecasts = [run_forecast(by_run[m["run_id"]], body, settings) for m in members]
    try:
        rows = weighted_rows(forecasts, [m["weight"] for m in members])
    except ValueError as err:
        raise ConflictError(f"the ensemble's members do not forecast alike: {err}") from None
    return {"members": members, "rows": rows}


def ensemble_archive(store: Any, settings: Any, members: list[dict[str, Any]]) -> bytes:
    """One ``.tar.gz``: ``ensemble.json`` (each member's run, number, weight and folder) and
    each member's portable model in its folder."""
    import io
    import json
    import tarfile

    buffer = io.BytesIO()
    described = [{**m, "folder": member_folder(m["number"])} for m in members]
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        text = json.dumps({"members": described}, indent=1).encode()
        info = tarfile.TarInfo(ENSEMBLE)
        info.size = len(text)
        archive.addfile(info, io.BytesIO(text))
        for member in described:
            one_model = io.BytesIO(model_archive(store, settings, member["run_id"]))
            with tarfile.open(fileobj=one_model) as one:
                for item in one.getmembers():
                    content = one.extractfile(item)
                    item.name = f"{member['folder']}/{item.name}"
                    archive.addfile(item, content)
    return buffer.getvalue()
