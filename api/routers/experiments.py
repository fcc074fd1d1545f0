"""/api/experiments: submit, list, read, cancel, extend, runs, best."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status

from api.blocking import in_process, note_write, off_loop, shared_read
from api.deps import SettingsDep, StoreDep
from api.responses import experiment_public, json_response
from tuner.client.schemas import (
    Error,
    Experiment,
    ExperimentPage,
    ExtendRequest,
    Importance,
    Overview,
    Run,
    RunPage,
    SpecCheck,
)
from tuner.core.documents import load_json, load_yaml
from tuner.errors import FieldProblem, NotFoundError, SpecError, UnsupportedBody
from tuner.service.deletion import delete_experiment as remove_experiment
from tuner.service.importance import parameter_importance
from tuner.service.submission import plan_with_warnings, submit_with_warnings
from tuner.store.records import EXPERIMENT_STATES, RUN_STATES, scored_runs

# Every store call goes through off_loop: no database work ever holds the event loop.
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
router = APIRouter(prefix="/api/experiments", tags=["experiments"])
ExperimentStatus = Literal[EXPERIMENT_STATES]  # type: ignore[valid-type]
RunStatus = Literal[RUN_STATES]  # type: ignore[valid-type]
_ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": Error}}

SPEC_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "description": "an experiment spec"}},
            "application/yaml": {"schema": {"type": "string", "description": "the spec as YAML"}},
        },
    }
}


async def _spec_payload(request: Request) -> Any:
    body = await request.body()
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if content_type in YAML_TYPES:
        return load_yaml(body)
    if content_type != "application/json":
        raise UnsupportedBody(
            f"a spec is sent as application/json or application/yaml, not {content_type!r}"
        )
    if not body:
        raise SpecError([FieldProblem("", "the body is empty; send the spec as JSON or YAML")])
    return load_json(body)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Experiment,
    responses={413: {"model": Error, "description": "body over the size limit"}},
    openapi_extra=SPEC_BODY,
)
async def submit_experiment(request: Request, store: StoreDep, settings: SettingsDep) -> Experiment:
    """Validates the spec (JSON, or YAML with Content-Type application/yaml) and queues it.
    An Azure ML v2 sweep job (``type: sweep``) is accepted as is; ``warnings`` lists what of it
    does not apply here."""
    payload = await _spec_payload(request)
    record, warnings = await off_loop(submit_with_warnings, store, payload, settings)
    note_write()
    public = experiment_public(record, None)
    public.warnings = warnings
    return public


@router.post(
    "/check",
    response_model=SpecCheck,
    responses={413: {"model": Error, "description": "body over the size limit"}},
    openapi_extra=SPEC_BODY,
)
async def check_experiment(request: Request, store: StoreDep, settings: SettingsDep) -> SpecCheck:
    """Runs every check a submission makes (the spec, its data, windows and resources) and
    says what it would run; nothing is queued. 422 names each bad field."""
    payload = await _spec_payload(request)
    spec, warnings = await off_loop(plan_with_warnings, store, payload, settings)
    return SpecCheck.of(spec, warnings)


@router.get("", response_model=ExperimentPage)
async def list_experiments(
    store: StoreDep,
    status_filter: Annotated[ExperimentStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ExperimentPage:
    listed = await off_loop(
        store.list_experiments_with_best, status=status_filter, limit=limit, offset=offset
    )
    return ExperimentPage(
        items=[experiment_public(record, best) for record, best in listed],
        limit=limit,
        offset=offset,
    )


@router.get("/{experiment_id}", response_model=Experiment, responses=_ERRORS)
async def get_experiment(experiment_id: str, store: StoreDep) -> Response:
    # The read every open dashboard polls: viewers of one experiment share a round trip.
    key = ("experiment", experiment_id)
    found = await shared_read(key, store.experiment_with_best, experiment_id)
    return json_response(experiment_public(*found))


@router.post(
    "/{experiment_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Experiment,
    responses={**_ERRORS, 409: {"model": Error}, 413: {"model": Error}},
)
async def cancel_experiment(experiment_id: str, store: StoreDep) -> Experiment:
    """Asks every run to stop; they do within seconds. 409 when already finished."""
    record = await off_loop(store.request_cancel, experiment_id)
    note_write()
    return experiment_public(record, await off_loop(store.best_run, experiment_id))


@router.delete(
    "/{experiment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_ERRORS, 409: {"model": Error}},
)
async def delete_experiment(experiment_id: str, store: StoreDep, settings: SettingsDep) -> Response:
    """Deletes a finished experiment: its runs, metrics and files. 409 while it is queued or
    running (cancel it first), or while another experiment warm-starts from it."""
    await off_loop(remove_experiment, store, settings, experiment_id)
    note_write()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{experiment_id}/extend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Experiment,
    responses={**_ERRORS, 400: {"model": Error}, 409: {"model": Error}},
)
async def extend_experiment(experiment_id: str, body: ExtendRequest, store: StoreDep) -> Experiment:
    """Re-queues a finished experiment with a larger budget; it goes on where it ended, its
    sampler's history kept. 409 while it is still queued or running."""
    record = await off_loop(
        store.extend_experiment, experiment_id, body.max_total_runs, body.max_duration_minutes
    )
    note_write()
    return experiment_public(record, await off_loop(store.best_run, experiment_id))


@router.get("/{experiment_id}/runs", response_model=RunPage, responses=_ERRORS)
async def list_runs(
    experiment_id: str,
    store: StoreDep,
    sort: Literal["number", "metric", "started_at", "status"] = "number",
    status_filter: Annotated[RunStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """``sort=metric`` puts the best primary-metric value first, under the experiment's goal."""
    runs = await off_loop(
        store.list_runs, experiment_id, status_filter, sort=sort, limit=limit, offset=offset
    )
    return json_response(
        RunPage(items=[Run.model_validate(r) for r in runs], limit=limit, offset=offset)
    )


@router.get("/{experiment_id}/best", response_model=Run, responses=_ERRORS)
async def best_run(experiment_id: str, store: StoreDep) -> Run:
    best = await off_loop(store.best_run, experiment_id)
    if best is None:
        raise NotFoundError(
            f"experiment {experiment_id} has no run with a primary-metric value yet"
        )
    return Run.model_validate(best)


@router.get("/{experiment_id}/importance", response_model=Importance, responses=_ERRORS)
async def importance(experiment_id: str, store: StoreDep) -> Importance:
    """fANOVA importance of each varied hyperparameter over the runs that reported the
    primary metric (Optuna's); empty, with a note, until there are enough."""
    record = await off_loop(store.get_experiment, experiment_id)
    scored = scored_runs(await off_loop(store.list_runs, experiment_id))
    # fANOVA fits a forest: seconds of CPU, in the worker process (reads go on meanwhile).
    shares, note = await in_process(parameter_importance, scored, record.goal)
    return Importance(experiment_id=experiment_id, importance=shares, note=note)


@router.get("/{experiment_id}/overview", response_model=Overview, responses=_ERRORS)
async def overview(
    experiment_id: str,
    store: StoreDep,
    max_curves: Annotated[int, Query(ge=1, le=2000)] = 200,
    max_points: Annotated[int, Query(ge=2, le=1000)] = 100,
    max_runs: Annotated[int, Query(ge=2, le=100_000)] = 1000,
) -> Response:
    """What the dashboard's charts need in one read: runs as columns (all up to ``max_runs``,
    else the best half and an even sample of the rest), the best-so-far over every run, and
    learning curves for up to ``max_curves`` runs (the running, the best, the latest), each
    thinned to ``max_points``."""
    found = await off_loop(
        store.overview,
        experiment_id,
        max_curves=max_curves,
        max_points=max_points,
        max_runs=max_runs,
    )
    return json_response(Overview.model_validate(found))
