"""GET /api/experiments/{id}/ensemble: the ensemble of the experiment's finished runs."""

from __future__ import annotations

from fastapi import APIRouter

from api.blocking import in_process, off_loop
from api.deps import SettingsDep, StoreDep
from tuner.client.ensembles import Ensemble
from tuner.client.schemas import Error
from tuner.service.ensembles import build_ensemble, ensemble_request

router = APIRouter(prefix="/api/experiments", tags=["experiments"])


@router.get(
    "/{experiment_id}/ensemble",
    response_model=Ensemble,
    responses={404: {"model": Error}, 409: {"model": Error}},
)
async def experiment_ensemble(
    experiment_id: str, store: StoreDep, settings: SettingsDep
) -> Ensemble:
    """Greedy selection with replacement over the runs' stored validation forecasts, scored
    on MAE; its test figures (MASE on the runs' own scale) beside the baseline's. Built anew
    at each call, so it follows an extension."""
    trainable, runs = await off_loop(ensemble_request, store, settings, experiment_id)
    made = await in_process(build_ensemble, trainable, runs)
    return Ensemble(experiment_id=experiment_id, **made)
