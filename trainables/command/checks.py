"""The command trainable's spec checks: its placeholders at parsing, its snapshots and data
sets at submission."""

from __future__ import annotations

from typing import Any

from trainables.command.placeholders import command_problems
from tuner.core.snapshots import check_commands_allowed, snapshot_path
from tuner.errors import FieldProblem, NotFoundError, SpecError

FORECASTING_FIELDS = ("dataset", "target", "split")


def check_spec(spec: Any) -> list[tuple[str, str]]:
    if spec.trial is None:
        return [("trial", "the command trainable needs trial.command")]
    problems = [
        (name, "belongs to the built-in forecasters; a command trial reads its data from inputs")
        for name in FORECASTING_FIELDS
        if getattr(spec, name) is not None
    ]
    if spec.future_covariates:
        problems.append(("future_covariates", "belongs to the built-in forecasters"))
    return problems + command_problems(
        spec.trial.command, spec.search_space, spec.inputs, spec.outputs, spec.fixed
    )


def check_data(spec: Any, store: Any, settings: Any) -> None:
    """Every snapshot and data set the spec names is stored (and commands are allowed)."""
    check_commands_allowed(settings)
    problems = []
    snapshots = [("trial.code", spec.trial.code)] + [
        (f"inputs.{name}.code", getattr(value, "code", None)) for name, value in spec.inputs.items()
    ]
    for field, snapshot in snapshots:
        if snapshot and not snapshot_path(settings, snapshot).is_file():
            problems.append(
                FieldProblem(field, f"no code snapshot {snapshot}; upload it with POST /api/code")
            )
    for name, value in spec.inputs.items():
        dataset = getattr(value, "dataset", None)
        if dataset:
            try:
                store.get_dataset(dataset)
            except NotFoundError:
                problems.append(
                    FieldProblem(f"inputs.{name}.dataset", f"no uploaded data set {dataset!r}")
                )
    if problems:
        raise SpecError(problems)
