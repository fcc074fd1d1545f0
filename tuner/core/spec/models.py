"""Pydantic models of the experiment spec (DESIGN.md §2) and :func:`parse_spec`.

Every check happens here, at submission; nothing about a spec is discovered at run time.
Errors come out as :class:`~tuner.errors.SpecError` whose problems name the dotted field.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.functional_validators import BeforeValidator
from pydantic_core import PydanticCustomError

from tuner.core.registry import TrainableDefinition, get_trainable, trainable_names
from tuner.core.spec.expressions import Expression, ExpressionError, parse_expression
from tuner.errors import FieldProblem, SpecError

BUILTIN_DATASETS = ("gefcom2014", "synthetic")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Goal(StrEnum):
    minimize = "minimize"
    maximize = "maximize"


class PrimaryMetric(_Strict):
    name: str = Field(min_length=1)
    goal: Goal


class Sampling(_Strict):
    method: Literal["random", "grid", "bayesian"] = "random"
    seed: int | None = None
    rule: Literal["random", "sobol"] = "random"

    @model_validator(mode="after")
    def _rule_only_for_random(self) -> Sampling:
        if self.rule == "sobol" and self.method != "random":
            raise _problems(
                [("sampling.rule", "sobol is a rule of random sampling; use method: random")]
            )
        return self


class _Schedule(_Strict):
    evaluation_interval: int = Field(default=1, ge=1)
    delay_evaluation: int = Field(default=0, ge=0)


class BanditPolicy(_Schedule):
    policy: Literal["bandit"]
    slack_factor: float | None = Field(default=None, gt=0)
    slack_amount: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _exactly_one_slack(self) -> BanditPolicy:
        if (self.slack_factor is None) == (self.slack_amount is None):
            raise _problems(
                [
                    (
                        "early_termination.slack_factor",
                        "give exactly one of slack_factor or slack_amount",
                    )
                ]
            )
        return self


class MedianStoppingPolicy(_Schedule):
    policy: Literal["median_stopping"]
    min_runs: int = Field(default=3, ge=1)


class TruncationSelectionPolicy(_Schedule):
    policy: Literal["truncation_selection"]
    truncation_percentage: int = Field(ge=1, le=99)
    exclude_finished_runs: bool = False


class NoPolicy(_Strict):
    policy: Literal["none"]


EarlyTermination = Annotated[
    BanditPolicy | MedianStoppingPolicy | TruncationSelectionPolicy | NoPolicy,
    Field(discriminator="policy"),
]
_POLICY_MODELS: dict[str, type[BaseModel]] = {
    "bandit": BanditPolicy,
    "median_stopping": MedianStoppingPolicy,
    "truncation_selection": TruncationSelectionPolicy,
    "none": NoPolicy,
}


class Budget(_Strict):
    """Run budget. A ``max_concurrent_runs`` above ``max_total_runs`` is clamped to it."""

    max_total_runs: int = Field(gt=0, le=100_000)
    max_concurrent_runs: int | None = Field(default=None, gt=0)
    max_duration_minutes: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _clamp_concurrency(self) -> Budget:
        if self.max_concurrent_runs is not None and self.max_concurrent_runs > self.max_total_runs:
            self.max_concurrent_runs = self.max_total_runs
        return self


class Split(_Strict):
    """Where validation and test data start: two dates, or two fractions of the rows."""

    valid_start: date | None = None
    test_start: date | None = None
    valid_fraction: float | None = Field(default=None, gt=0, lt=0.5)
    test_fraction: float | None = Field(default=None, gt=0, lt=0.5)

    @model_validator(mode="after")
    def _one_style(self) -> Split:
        dates = (self.valid_start, self.test_start)
        fractions = (self.valid_fraction, self.test_fraction)
        if all(d is not None for d in dates) and all(f is None for f in fractions):
            if self.valid_start >= self.test_start:  # type: ignore[operator]
                raise _problems([("split.valid_start", "must be before split.test_start")])
            return self
        if all(f is not None for f in fractions) and all(d is None for d in dates):
            return self
        raise _problems(
            [("split", "give valid_start and test_start, or valid_fraction and test_fraction")]
        )


class Resources(_Strict):
    cpu: float = Field(default=1.0, gt=0)
    gpu: float = Field(default=0.0, ge=0)


def _expression(raw: Any) -> Expression:
    try:
        return parse_expression(raw)
    except ExpressionError as err:
        raise PydanticCustomError(
            "expression", "{message}", {"message": err.message, "kind": err.kind or ""}
        ) from None


class ExperimentSpec(_Strict):
    name: str = Field(min_length=1, max_length=200)
    trainable: str
    dataset: str = "gefcom2014"
    target: str | None = None  # the column to forecast, for an uploaded data set
    split: Split | None = None  # default: the reference dates (GEFCom2014), 70/15/15 (uploads)
    description: str = ""
    fixed: dict[str, Any] = Field(default_factory=dict)
    search_space: dict[str, Annotated[Expression, BeforeValidator(_expression)]]
    sampling: Sampling = Field(default_factory=Sampling)
    primary_metric: PrimaryMetric
    early_termination: EarlyTermination | None = None
    budget: Budget
    resources: Resources = Field(default_factory=Resources)
    max_failures: int = Field(default=1, ge=0, le=10)

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentSpec:
        definition = get_trainable(self.trainable)
        if definition is None:
            raise _problems(
                [
                    (
                        "trainable",
                        f"unknown trainable {self.trainable!r}; "
                        f"available: {', '.join(trainable_names())}",
                    )
                ]
            )
        problems = _check_parameters(self, definition)
        if self.dataset in BUILTIN_DATASETS and self.target not in (None, "load"):
            problems.append(("target", f"{self.dataset} has one target, 'load'"))
        if self.primary_metric.name not in definition.metrics:
            problems.append(
                (
                    "primary_metric.name",
                    f"{self.primary_metric.name!r} is not reported by {self.trainable!r}; "
                    f"valid names: {', '.join(definition.metrics)}",
                )
            )
        if problems:
            raise _problems(problems)
        return self

    @property
    def definition(self) -> TrainableDefinition:
        definition = get_trainable(self.trainable)
        assert definition is not None  # checked at validation
        return definition

    @property
    def grid_size(self) -> int:
        size = 1
        for expression in self.search_space.values():
            size *= len(expression.choices)
        return size

    @property
    def planned_runs(self) -> int:
        if self.sampling.method == "grid":
            return min(self.grid_size, self.budget.max_total_runs)
        return self.budget.max_total_runs

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"search_space"})
        data["search_space"] = {k: v.to_json() for k, v in self.search_space.items()}
        return data


def _check_parameters(
    spec: ExperimentSpec, definition: TrainableDefinition
) -> list[tuple[str, str]]:
    declared = ", ".join(definition.hyperparameters)
    problems: list[tuple[str, str]] = []
    if not spec.search_space:
        problems.append(("search_space", "must declare at least one parameter to search"))
    for name, expression in spec.search_space.items():
        if name not in definition.hyperparameters:
            problems.append(
                (
                    f"search_space.{name}",
                    f"not a hyperparameter of {spec.trainable!r}; declared: {declared}",
                )
            )
        if spec.sampling.method == "grid" and expression.kind != "choice":
            problems.append(
                (
                    f"search_space.{name}.{expression.kind}",
                    "grid sampling accepts only choice; use random or bayesian",
                )
            )
    for name in spec.fixed:
        if name in spec.search_space:
            problems.append((f"fixed.{name}", "is also in search_space; set it in one place"))
        elif name not in definition.hyperparameters:
            problems.append(
                (
                    f"fixed.{name}",
                    f"not a hyperparameter of {spec.trainable!r}; declared: {declared}",
                )
            )
    return problems


def _problems(problems: list[tuple[str, str]]) -> PydanticCustomError:
    return PydanticCustomError(
        "spec_problems",
        "{summary}",
        {"summary": "; ".join(m for _, m in problems), "problems": problems},
    )


# -- parsing -----------------------------------------------------------------------------------


def parse_spec(data: Any) -> ExperimentSpec:
    """Validates a spec given as a mapping or as YAML/JSON text; raises :class:`SpecError`."""
    if isinstance(data, ExperimentSpec):
        return data
    if isinstance(data, bytes | str):
        try:
            data = yaml.safe_load(data)  # YAML is a superset of JSON
        except yaml.YAMLError as err:
            raise SpecError([FieldProblem("", f"not valid YAML or JSON: {err}")]) from None
    if not isinstance(data, dict):
        raise SpecError(
            [FieldProblem("", "a spec must be a mapping of fields (see configs/demo.yaml)")]
        )
    try:
        return ExperimentSpec.model_validate(data)
    except ValidationError as err:
        raise SpecError(_field_problems(err)) from None


def load_spec(path: str | Path) -> ExperimentSpec:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise SpecError(
            [FieldProblem("", f"cannot read spec file {path}: {err.strerror}")]
        ) from None
    if path.suffix == ".json":
        try:
            return parse_spec(json.loads(text))
        except json.JSONDecodeError as err:
            raise SpecError([FieldProblem("", f"{path} is not valid JSON: {err}")]) from None
    return parse_spec(text)


def _field_problems(err: ValidationError) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for item in err.errors(include_url=False):
        loc = [str(part) for part in item["loc"]]
        if loc[:1] == ["early_termination"] and len(loc) > 1 and loc[1] in _POLICY_MODELS:
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
            model = _POLICY_MODELS.get(str(part))  # a discriminated-union tag
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
