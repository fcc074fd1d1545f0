"""The experiment spec (DESIGN.md §2): :class:`ExperimentSpec` and its cross-field checks.

Every check happens at submission; nothing about a spec is discovered at run time. Errors come
out as :class:`~tuner.errors.SpecError` (see :mod:`tuner.core.spec.parsing`) whose problems name
the dotted field.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, model_validator
from pydantic.functional_validators import BeforeValidator
from pydantic_core import PydanticCustomError

from tuner.core.registry import TrainableDefinition, get_trainable, trainable_names
from tuner.core.spec.command import CommandSections
from tuner.core.spec.expressions import Expression, ExpressionError, parse_expression
from tuner.core.spec.sections import (
    Budget,
    EarlyTermination,
    PrimaryMetric,
    Resources,
    Sampling,
    Split,
    TrialGroups,
    WarmStart,
    problems_error,
)

COMMAND_TRAINABLE = "command"  # what a spec with trial.command runs


def _expression(raw: Any) -> Expression:
    try:
        return parse_expression(raw)
    except ExpressionError as err:
        raise PydanticCustomError(
            "expression", "{message}", {"message": err.message, "kind": err.kind or ""}
        ) from None


class ExperimentSpec(CommandSections):
    name: str = Field(min_length=1, max_length=200)
    trainable: str = ""  # "command" where trial.command is given
    # The data a trainable reads, if it reads one: its own checks say which (None: its default).
    dataset: str | None = None
    target: str | None = None  # the column to forecast, for an uploaded data set
    split: Split | None = None  # default: the reference dates (GEFCom2014), 70/15/15 (uploads)
    # Covariates whose values over the forecast window are inputs too (DESIGN §6.2): actual
    # values stand in for forecasts of them, so results are labelled ex post.
    future_covariates: list[str] = Field(default_factory=list, max_length=100)
    description: str = ""
    fixed: dict[str, Any] = Field(default_factory=dict)
    search_space: dict[str, Annotated[Expression, BeforeValidator(_expression)]]
    sampling: Sampling = Field(default_factory=Sampling)
    primary_metric: PrimaryMetric
    early_termination: EarlyTermination | None = None
    budget: Budget
    resources: Resources = Field(default_factory=Resources)
    max_failures: int = Field(default=1, ge=0, le=10)
    warm_start: WarmStart | None = None
    evaluation: TrialGroups = Field(default_factory=TrialGroups)

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentSpec:
        if self.trial is not None and self.trainable in ("", COMMAND_TRAINABLE):
            self.trainable = COMMAND_TRAINABLE
        elif self.trial is not None:
            raise problems_error(
                [("trial", f"trial.command runs your own code; drop trainable {self.trainable!r}")]
            )
        if not self.trainable:
            raise problems_error(
                [
                    (
                        "trainable",
                        "is required: one of "
                        f"{', '.join(n for n in trainable_names() if n != COMMAND_TRAINABLE)}, "
                        "or give trial.command to tune your own code",
                    )
                ]
            )
        definition = get_trainable(self.trainable)
        if definition is None:
            raise problems_error(
                [
                    (
                        "trainable",
                        f"unknown trainable {self.trainable!r}; "
                        f"available: {', '.join(trainable_names())}",
                    )
                ]
            )
        problems = _check_parameters(self, definition) + _check_capabilities(self, definition)
        if definition.metrics and self.primary_metric.name not in definition.metrics:
            problems.append(
                (
                    "primary_metric.name",
                    f"{self.primary_metric.name!r} is not reported by {self.trainable!r}; "
                    f"valid names: {', '.join(definition.metrics)}",
                )
            )
        if not problems:
            problems = definition.spec_problems(self)
        if problems:
            raise problems_error(problems)
        return self

    @property
    def definition(self) -> TrainableDefinition:
        definition = get_trainable(self.trainable)
        assert definition is not None  # checked at validation
        return definition

    def largest(self, name: str | None) -> float | None:
        """The largest value a numeric hyperparameter can take in any run (searched, fixed or
        the trainable's default); None when not a number."""
        if name is None:
            return None
        if name in self.search_space:
            reach = self.search_space[name].reach()
            numbers = [v for v in reach.values or () if isinstance(v, int | float)]
            top = max(numbers, default=None) if reach.values is not None else reach.high
        else:
            top = self.fixed.get(name, self.definition.hyperparameters.get(name))
        return float(top) if isinstance(top, int | float) and not isinstance(top, bool) else None

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
        data = self.model_dump(mode="json", exclude={"search_space"}, by_alias=True)
        data["search_space"] = {k: v.to_json() for k, v in self.search_space.items()}
        return data


def _check_parameters(
    spec: ExperimentSpec, definition: TrainableDefinition
) -> list[tuple[str, str]]:
    declared = ", ".join(definition.hyperparameters)
    known = _Known(definition)
    problems: list[tuple[str, str]] = []
    if not spec.search_space:
        problems.append(("search_space", "must declare at least one parameter to search"))
    for name, expression in spec.search_space.items():
        if name not in known:
            problems.append(
                (
                    f"search_space.{name}",
                    f"not a hyperparameter of {spec.trainable!r}; declared: {declared}",
                )
            )
        domain = definition.domains.get(name)
        problem = domain.problem_with_expression(name, expression) if domain else None
        if problem:
            problems.append((f"search_space.{name}.{expression.kind}", problem))
        if spec.sampling.method == "grid" and expression.kind != "choice":
            problems.append(
                (
                    f"search_space.{name}.{expression.kind}",
                    "grid sampling accepts only choice; use random or bayesian",
                )
            )
    for name, value in spec.fixed.items():
        domain = definition.domains.get(name)
        problem = domain.problem_with_value(name, value) if domain else None
        if problem and name in definition.hyperparameters:
            problems.append((f"fixed.{name}", problem))
        if name in spec.search_space:
            problems.append((f"fixed.{name}", "is also in search_space; set it in one place"))
        elif name not in known:
            problems.append(
                (
                    f"fixed.{name}",
                    f"not a hyperparameter of {spec.trainable!r}; declared: {declared}",
                )
            )
    return problems


class _Known:
    """The hyperparameter names a trainable accepts: its declared ones, or any (open)."""

    def __init__(self, definition: TrainableDefinition) -> None:
        self.definition = definition

    def __contains__(self, name: object) -> bool:
        return self.definition.open_hyperparameters or name in self.definition.hyperparameters


def _check_capabilities(
    spec: ExperimentSpec, definition: TrainableDefinition
) -> list[tuple[str, str]]:
    """What a spec asks of the trainable that it cannot do."""
    problems: list[tuple[str, str]] = []
    groups = spec.evaluation.repeats > 1 or spec.evaluation.folds > 1
    if groups and not definition.trial_groups:
        problems.append(
            (
                "evaluation",
                f"{spec.trainable!r} cannot train trial groups (repeats and folds); drop "
                "evaluation",
            )
        )
    policy = spec.early_termination
    if (
        getattr(policy, "policy", None) == "asha"
        and policy.max_t is None  # type: ignore[union-attr]
        and definition.training_length is None
    ):
        problems.append(
            (
                "early_termination.max_t",
                f"is required: {spec.trainable!r} declares no training length, so give the "
                "interval at which ASHA's longest runs end",
            )
        )
    if spec.trial is None and (spec.inputs or spec.outputs):
        field = "inputs" if spec.inputs else "outputs"
        problems.append((field, "belongs to a command trial (trial.command)"))
    return problems
