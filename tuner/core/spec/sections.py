"""The spec's sections below the top level: metric, sampling, policies, budget, split, resources."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError


def problems_error(problems: list[tuple[str, str]]) -> PydanticCustomError:
    return PydanticCustomError(
        "spec_problems",
        "{summary}",
        {"summary": "; ".join(m for _, m in problems), "problems": problems},
    )


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Goal(StrEnum):
    minimize = "minimize"
    maximize = "maximize"


class PrimaryMetric(Strict):
    name: str = Field(min_length=1)
    goal: Goal


class Sampling(Strict):
    method: Literal["random", "grid", "bayesian"] = "random"
    seed: int | None = None
    rule: Literal["random", "sobol"] = "random"

    @model_validator(mode="after")
    def _rule_only_for_random(self) -> Sampling:
        if self.rule == "sobol" and self.method != "random":
            raise problems_error(
                [("sampling.rule", "sobol is a rule of random sampling; use method: random")]
            )
        return self


class _Schedule(Strict):
    evaluation_interval: int = Field(default=1, ge=1)
    delay_evaluation: int = Field(default=0, ge=0)


class BanditPolicy(_Schedule):
    policy: Literal["bandit"]
    slack_factor: float | None = Field(default=None, gt=0)
    slack_amount: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _exactly_one_slack(self) -> BanditPolicy:
        if (self.slack_factor is None) == (self.slack_amount is None):
            raise problems_error(
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


class AshaPolicy(Strict):
    """No evaluation_interval or delay_evaluation: the rungs are the schedule."""

    policy: Literal["asha"]
    grace_period: int | None = Field(default=None, ge=1)  # default: from the run budget
    reduction_factor: int = Field(default=3, ge=2)
    max_t: int | None = Field(default=None, ge=1)  # default: the trainable's max_epochs


class NoPolicy(Strict):
    policy: Literal["none"]


EarlyTermination = Annotated[
    BanditPolicy | MedianStoppingPolicy | TruncationSelectionPolicy | AshaPolicy | NoPolicy,
    Field(discriminator="policy"),
]
POLICY_MODELS: dict[str, type[BaseModel]] = {
    "bandit": BanditPolicy,
    "median_stopping": MedianStoppingPolicy,
    "truncation_selection": TruncationSelectionPolicy,
    "asha": AshaPolicy,
    "none": NoPolicy,
}


class Budget(Strict):
    """Run budget. ``max_concurrent_runs`` is kept as the user asked; the runs at once are at
    most ``max_total_runs`` (:attr:`concurrent_runs`), so an extension can raise both."""

    max_total_runs: int = Field(gt=0, le=100_000)
    max_concurrent_runs: int | None = Field(default=None, gt=0)
    max_duration_minutes: float | None = Field(default=None, gt=0)
    max_run_minutes: float | None = Field(default=None, gt=0)  # one run's age limit

    @property
    def concurrent_runs(self) -> int | None:
        """How many runs may run at once: the asked concurrency, clamped to the run budget."""
        if self.max_concurrent_runs is None:
            return None
        return min(self.max_concurrent_runs, self.max_total_runs)


class Split(Strict):
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
                raise problems_error([("split.valid_start", "must be before split.test_start")])
            return self
        if all(f is not None for f in fractions) and all(d is None for d in dates):
            return self
        raise problems_error(
            [("split", "give valid_start and test_start, or valid_fraction and test_fraction")]
        )


class Resources(Strict):
    cpu: float = Field(default=1.0, gt=0)
    gpu: float = Field(default=0.0, ge=0)


class WarmStart(Strict):
    """DESIGN §5: the finished runs of earlier experiments of the same trainable seed the
    sampler; configurations outside this space are skipped; the budget counts new runs only."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: list[str] = Field(alias="from", min_length=1, max_length=100)


class TrialGroups(Strict):
    """DESIGN §6.4: each run trains ``repeats`` seeds on each of ``folds`` rolling-origin
    folds of the validation period and reports their mean; 1 x 1 is a plain run."""

    repeats: int = Field(default=1, ge=1, le=16)
    folds: int = Field(default=1, ge=1, le=8)
