"""Parsing a spec from a mapping, YAML/JSON text or a file, with field-named errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from tuner.core.documents import check_plain, load_json, load_yaml
from tuner.core.spec.azure import from_sweep, is_sweep
from tuner.core.spec.models import ExperimentSpec
from tuner.core.spec.sections import POLICY_MODELS
from tuner.errors import FieldProblem, SpecError


def parse_spec(data: Any) -> ExperimentSpec:
    """Validates a spec given as a mapping or as YAML/JSON text; raises :class:`SpecError`."""
    if isinstance(data, ExperimentSpec):
        return data
    if isinstance(data, bytes | str):
        data = load_yaml(data)  # YAML is a superset of JSON
    else:
        check_plain(data)
    if not isinstance(data, dict):
        raise SpecError(
            [FieldProblem("", "a spec must be a mapping of fields (see configs/demo.yaml)")]
        )
    try:
        return ExperimentSpec.model_validate(data)
    except ValidationError as err:
        raise SpecError(_field_problems(err)) from None


def parse_submission(data: Any) -> tuple[ExperimentSpec, list[str]]:
    """A submitted document: a tunedrive spec, or an Azure ML v2 sweep job (``type: sweep``)
    translated first. Returns the spec and what of the document does not apply here."""
    if isinstance(data, bytes | str):
        data = load_yaml(data)
    if is_sweep(data):
        translated, warnings = from_sweep(data)
        return parse_spec(translated), warnings
    return parse_spec(data), []


def load_spec(path: str | Path) -> ExperimentSpec:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise SpecError(
            [FieldProblem("", f"cannot read spec file {path}: {err.strerror}")]
        ) from None
    return parse_submission(load_json(text) if path.suffix == ".json" else load_yaml(text))[0]


def _field_problems(err: ValidationError) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for item in err.errors(include_url=False):
        loc = [str(part) for part in item["loc"]]
        if loc[:1] == ["early_termination"] and len(loc) > 1 and loc[1] in POLICY_MODELS:
            del loc[1]  # the union tag is noise in a field path
        ctx = item.get("ctx") or {}
        kind = item["type"]
        if kind == "spec_problems":
            problems.extend(FieldProblem(f, m) for f, m in ctx["problems"])
        elif kind == "expression":
            problems.append(
                FieldProblem(".".join(loc + ([ctx["kind"]] if ctx["kind"] else [])), ctx["message"])
            )
        elif kind == "extra_forbidden":
            allowed = _allowed_keys(item["loc"][:-1])
            hint = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
            problems.append(FieldProblem(".".join(loc), f"unknown key{hint}"))
        elif kind == "missing":
            problems.append(FieldProblem(".".join(loc), "is required"))
        else:
            message = item["msg"].removeprefix("Value error, ")
            problems.append(FieldProblem(".".join(loc), message[0].lower() + message[1:]))
    return problems


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] | None = ExperimentSpec
    for part in loc:
        if model is None:
            model = POLICY_MODELS.get(str(part))  # a discriminated-union tag
            if model is None:
                return []
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        annotation = field.annotation
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    return list(model.model_fields) if model is not None else []
