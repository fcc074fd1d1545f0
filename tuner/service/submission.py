"""Submission: the checks a spec can only pass against the store, then the queue."""

from __future__ import annotations

from typing import Any

from tuner.core.settings import Settings
from tuner.core.spec import ExperimentSpec, parse_submission
from tuner.errors import FieldProblem, NotFoundError, SpecError
from tuner.service.capacity import check_resources, known_nodes
from tuner.store import ExperimentRecord, Store


def submit_experiment(store: Store, payload: Any, settings: Settings) -> ExperimentRecord:
    """Validates a spec (a mapping, YAML/JSON text or an ExperimentSpec) against the data and
    the nodes it would run on, and queues it."""
    return submit_with_warnings(store, payload, settings)[0]


def submit_with_warnings(
    store: Store, payload: Any, settings: Settings
) -> tuple[ExperimentRecord, list[str]]:
    """:func:`submit_experiment`, and what of the document does not apply here (an Azure ML
    sweep job's compute target, say)."""
    spec, warnings = plan_with_warnings(store, payload, settings)
    return store.create_experiment(spec), warnings


def plan_experiment(store: Store, payload: Any, settings: Settings) -> ExperimentSpec:
    """Every check :func:`submit_experiment` makes, queueing nothing: the spec that passed."""
    return plan_with_warnings(store, payload, settings)[0]


def plan_with_warnings(
    store: Store, payload: Any, settings: Settings
) -> tuple[ExperimentSpec, list[str]]:
    spec, warnings = (payload, []) if isinstance(payload, ExperimentSpec) else parse_submission(
        payload
    )
    check_submission(spec, store, settings)
    return spec, warnings


def check_submission(spec: ExperimentSpec, store: Store, settings: Settings) -> None:
    """What a spec can only pass against the store and the nodes: its data (the trainable's
    own check), its resources."""
    spec.definition.check_against_data(spec, store, settings)
    check_warm_start(spec, store)
    where = "this machine" if settings.ray_address is None else "the Ray cluster"
    check_resources(spec, known_nodes(settings), where)


def check_warm_start(spec: ExperimentSpec, store: Store) -> None:
    """Each experiment to warm-start from exists and trained the same trainable."""
    for position, source_id in enumerate(spec.warm_start.from_ if spec.warm_start else ()):
        field = f"warm_start.from.{position}"
        try:
            source = store.get_experiment(source_id)
        except NotFoundError:
            raise SpecError([FieldProblem(field, f"no experiment {source_id!r}")]) from None
        if source.trainable != spec.trainable:
            problem = f"experiment {source_id} trained {source.trainable!r}, not {spec.trainable!r}"
            raise SpecError([FieldProblem(field, problem)])
