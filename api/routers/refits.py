"""POST /api/experiments/{id}/refit: the best (or a named) run trained again on more data."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.blocking import note_write, off_loop
from api.deps import StoreDep
from api.responses import experiment_public
from tuner.client.refits import RefitRequest
from tuner.client.schemas import Error, Experiment
from tuner.service.refits import request_refit

router = APIRouter(prefix="/api/experiments", tags=["experiments"])


@router.post(
    "/{experiment_id}/refit",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Experiment,
    responses={
        400: {"model": Error},
        404: {"model": Error},
        409: {"model": Error},
        422: {"model": Error},
    },
)
async def refit_experiment(experiment_id: str, body: RefitRequest, store: StoreDep) -> Experiment:
    """Queues the refit: the run's configuration retrained on training plus validation (and
    the test period with ``include_test``) for its best epochs, with its seed(s). It is stored
    as a new run of the experiment with ``refit_of`` set; the experiment runs meanwhile and
    then returns to how it had ended. 409 while the experiment is queued or running."""
    record, _ = await off_loop(request_refit, store, experiment_id, body.run_id, body.include_test)
    note_write()
    return experiment_public(record, await off_loop(store.best_run, experiment_id))
