"""Forecasts with a finished run: from history sent as CSV, or from the end of its data set;
and the run's portable model."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.blocking import in_model_process, off_loop
from api.deps import SettingsDep, StoreDep
from tuner.client.forecasts import Forecast
from tuner.client.schemas import Error
from tuner.service.forecasts import best_run_id, forecast_request, model_archive, run_forecast

router = APIRouter(tags=["forecasts"])
_ERRORS = {404: {"model": Error}, 409: {"model": Error}, 422: {"model": Error}}
CSV_BODY = {
    "requestBody": {
        "required": False,
        "content": {
            "text/csv": {
                "schema": {
                    "type": "string",
                    "description": "timestamp, the target and covariates ([series] for a "
                    "panel); rows after the last target value give the future covariates",
                }
            }
        },
    }
}


@router.post(
    "/api/runs/{run_id}/forecast",
    response_model=Forecast,
    responses=_ERRORS,
    openapi_extra=CSV_BODY,
)
async def forecast_with_run(
    run_id: str, request: Request, store: StoreDep, settings: SettingsDep
) -> Forecast:
    """The run's forecast after the history sent (CSV), or after the end of its data set when
    nothing is sent, with its quantiles. Refusals name what is missing."""
    return await _forecast(run_id, await request.body(), store, settings)


@router.post(
    "/api/experiments/{experiment_id}/forecast",
    response_model=Forecast,
    responses=_ERRORS,
    openapi_extra=CSV_BODY,
)
async def forecast_with_best_run(
    experiment_id: str, request: Request, store: StoreDep, settings: SettingsDep
) -> Forecast:
    """The same with the experiment's best run."""
    run_id = await off_loop(best_run_id, store, experiment_id)
    return await _forecast(run_id, await request.body(), store, settings)


async def _forecast(run_id: str, body: bytes, store: StoreDep, settings: SettingsDep) -> Forecast:
    wanted = await off_loop(forecast_request, store, settings, run_id)
    rows = await in_model_process(run_forecast, wanted, body or None, settings)
    return Forecast(run_id=run_id, rows=rows)


@router.get(
    "/api/runs/{run_id}/model",
    response_class=Response,
    responses={**_ERRORS, 200: {"content": {"application/gzip": {}}}},
)
async def download_model(run_id: str, store: StoreDep, settings: SettingsDep) -> Response:
    """One archive with everything the run needs to forecast (``load_forecaster``)."""
    archive = await off_loop(model_archive, store, settings, run_id)
    return Response(
        archive,
        media_type="application/gzip",
        headers={"Content-Disposition": f'attachment; filename="model-{run_id}.tar.gz"'},
    )
