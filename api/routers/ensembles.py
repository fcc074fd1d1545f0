"""The ensemble of an experiment's finished runs: GET /api/experiments/{id}/ensemble, its
forecast (POST …/ensemble/forecast) and its portable model (GET …/ensemble/model)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.blocking import in_model_process, in_process, off_loop
from api.deps import SettingsDep, StoreDep
from api.routers.forecasts import CSV_BODY
from tuner.client.ensembles import Ensemble, EnsembleForecast
from tuner.client.schemas import Error
from tuner.service.ensembles import (
    build_ensemble,
    ensemble_archive,
    ensemble_forecast,
    ensemble_forecast_request,
    ensemble_request,
)

router = APIRouter(prefix="/api/experiments", tags=["experiments"])
_ERRORS = {404: {"model": Error}, 409: {"model": Error}}


@router.get("/{experiment_id}/ensemble", response_model=Ensemble, responses=_ERRORS)
async def experiment_ensemble(
    experiment_id: str, store: StoreDep, settings: SettingsDep
) -> Ensemble:
    """Greedy selection with replacement over the runs' stored validation forecasts, scored
    on the runs' primary measure; its test figures (MASE on the runs' own scale) beside the
    baseline's. Built anew at each call, so it follows an extension."""
    trainable, runs = await off_loop(ensemble_request, store, settings, experiment_id)
    made = await in_process(build_ensemble, trainable, runs)
    return Ensemble(experiment_id=experiment_id, **made)


@router.post(
    "/{experiment_id}/ensemble/forecast",
    response_model=EnsembleForecast,
    responses={**_ERRORS, 422: {"model": Error}},
    openapi_extra=CSV_BODY,
)
async def forecast_with_ensemble(
    experiment_id: str, request: Request, store: StoreDep, settings: SettingsDep
) -> EnsembleForecast:
    """The weighted mean of the members' forecasts after the history sent (CSV; as a run's
    forecast takes it), quantiles included; nothing sent forecasts from the data's end."""
    wanted = await off_loop(ensemble_forecast_request, store, settings, experiment_id)
    body = await request.body() or None
    made = await in_model_process(ensemble_forecast, *wanted, body, settings)
    return EnsembleForecast(experiment_id=experiment_id, **made)


@router.get(
    "/{experiment_id}/ensemble/model",
    response_class=Response,
    responses={**_ERRORS, 200: {"content": {"application/gzip": {}}}},
)
async def download_ensemble_model(
    experiment_id: str, store: StoreDep, settings: SettingsDep
) -> Response:
    """One archive: the members' portable models and their weights (``load_forecaster``)."""
    trainable, runs = await off_loop(ensemble_request, store, settings, experiment_id)
    made = await in_process(build_ensemble, trainable, runs)
    archive = await off_loop(ensemble_archive, store, settings, made["members"])
    return Response(
        archive,
        media_type="application/gzip",
        headers={
            "Content-Disposition": f'attachment; filename="ensemble-{experiment_id}.tar.gz"'
        },
    )
