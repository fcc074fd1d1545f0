"""Submission: the checks a spec can only pass against the store, then the queue."""

from __future__ import annotations

from typing import Any

from tuner.core.spec import BUILTIN_DATASETS, ExperimentSpec, parse_spec
from tuner.errors import FieldProblem, NotFoundError, SpecError
from tuner.store import ExperimentRecord, Store


def submit_experiment(store: Store, payload: Any) -> ExperimentRecord:
    """Validates a spec (a mapping, YAML/JSON text or an ExperimentSpec) and queues it."""
    spec = parse_spec(payload)
    check_spec_dataset(spec, store)
    return store.create_experiment(spec)


def check_spec_dataset(spec: ExperimentSpec, store: Store) -> None:
    """At submission: an uploaded data set must exist and have the spec's target column."""
    if spec.dataset in BUILTIN_DATASETS:
        return
    try:
        record = store.get_dataset(spec.dataset)
    except NotFoundError:
        raise SpecError(
            [
                FieldProblem(
                    "dataset",
                    f"unknown data set {spec.dataset!r}; use {', '.join(BUILTIN_DATASETS)} "
                    "or the id of an uploaded data set (GET /api/datasets)",
                )
            ]
        ) from None
    if spec.target not in record.columns:
        what = "is required for an uploaded data set" if spec.target is None else "is not a column"
        raise SpecError(
            [
                FieldProblem(
                    "target", f"{what}; columns of {record.name}: {', '.join(record.columns)}"
                )
            ]
        )
