"""The wire records: what the API sends and what the SDK returns, each declared once.

The API builds them from the store's records (``from_attributes``) and serves them as its
OpenAPI schema; the SDK parses the same JSON back into them. Unknown keys are ignored, so a
newer server never breaks an older client.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, computed_field

from tuner.client.recommendation import Recommendation, recommend

FINISHED = ("completed", "failed", "canceled")


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]  # the store keeps naive UTC


class WireModel(BaseModel):
    """A record on the wire: built from a store record or parsed from JSON."""

    model_config = ConfigDict(from_attributes=True, extra="ignore")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls.model_validate(data)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types (times as ISO 8601), as the service sends them."""
        return self.model_dump(mode="json")


class Error(WireModel):
    detail: str
    errors: list[dict[str, str]] = Field(default_factory=list, description="field, message pairs")


class BaselineComparison(BaseModel):
    """A run's test result beside its baseline (DESIGN §6.3), on the primary measure."""

    measure: str  # mae, rmse, mape, smape or mase
    model: float  # the run's test value
    baseline: str  # naive or seasonal_naive_<P>, the candidate best on validation
    baseline_value: float  # that baseline's test value
    skill: float | None  # 1 - model/baseline; None when the baseline is exact
    ex_post: list[str] = Field(default_factory=list)  # actual values stood in for forecasts

    @property
    def beats_baseline(self) -> bool:
        return self.skill is not None and self.skill > 0

    def sentence(self) -> str:
        unit = " %" if self.measure in ("mape", "smape") else ""
        figures = (
            f"test {self.measure.upper()} {self.model:.4g}{unit} beside {self.baseline} "
            f"{self.baseline_value:.4g}{unit}"
        )
        if self.ex_post:
            figures += f" (ex post: actual {', '.join(self.ex_post)} stood in for forecasts)"
        if self.beats_baseline:
            return f"{figures}: {self.skill:.1%} better than the baseline"
        return f"{figures}: it does NOT beat its baseline"


class Importance(WireModel):
    """How much each hyperparameter mattered to the primary metric (shares summing to 1)."""

    experiment_id: str
    importance: dict[str, float]  # largest first
    note: str  # what it rests on, or why it is empty


class Run(WireModel):
    id: str
    experiment_id: str
    number: int
    status: str
    params: dict[str, Any]
    best_metric: float | None
    epochs: int
    stopped_at_interval: int | None
    attempts: int
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    error: str | None
    node: str | None
    seed: int | None = None  # the run's training seed: the same seed, the same metrics on CPU
    final_metrics: dict[str, Any] | None
    refit_of: str | None = None  # a refit: the run it trained again
    refit: dict[str, Any] | None = None  # how: include_test, epochs, source_number

    def against_baseline(self) -> BaselineComparison | None:
        """The test result beside the baseline, or None for a run that has none (unfinished,
        or a trainable that reports no baseline)."""
        final = self.final_metrics or {}
        measure = final.get("skill_measure")
        model, baseline = final.get(f"test_{measure}"), final.get(f"baseline_test_{measure}")
        if measure is None or model is None or baseline is None:
            return None
        return BaselineComparison(
            measure=measure,
            model=model,
            baseline=final.get("baseline", "baseline"),
            baseline_value=baseline,
            skill=final.get("skill"),
            ex_post=final.get("ex_post") or [],
        )


class Experiment(WireModel):
    id: str
    name: str
    trainable: str
    status: str
    stop_reason: str | None
    spec: dict[str, Any]
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    cancel_requested: bool
    driver_restarts: int
    run_counts: dict[str, int]
    best_run: Run | None = None
    extensions: int = 0  # how often it was extended
    refit_request: dict[str, Any] | None = None  # a refit queued or running: its source run
    # At submission only: what of the document does not apply here (an Azure ML sweep job's
    # compute target, say); it was accepted all the same.
    warnings: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recommendation(self) -> Recommendation | None:
        """The best run, or the baseline where validation said no run beats it."""
        if self.best_run is None:
            return None
        return recommend(self.best_run, self.primary_metric, self.spec["primary_metric"]["goal"])

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def primary_metric(self) -> str:
        return self.spec["primary_metric"]["name"]

    @property
    def max_total_runs(self) -> int:
        return self.spec["budget"]["max_total_runs"]

    @property
    def runs_finished(self) -> int:
        return sum(n for state, n in self.run_counts.items() if state not in ("queued", "running"))


class ExtendRequest(WireModel):
    """More budget for a finished experiment (DESIGN §5): a new total of runs above the runs
    it has, and/or a duration limit counted from its new start."""

    model_config = ConfigDict(extra="forbid")

    max_total_runs: int | None = Field(default=None, gt=0, le=100_000)
    max_duration_minutes: float | None = Field(default=None, gt=0)


class SpecCheck(WireModel):
    """A spec that passed every submission check, and what it would run (nothing is queued)."""

    name: str
    trainable: str
    sampling: str
    planned_runs: int
    concurrent_runs: int | None = None
    max_duration_minutes: float | None = None
    warnings: list[str] = Field(default_factory=list)
    spec: dict[str, Any] = Field(default_factory=dict)  # the spec as it would be stored

    @classmethod
    def of(cls, spec: Any, warnings: list[str] | None = None) -> SpecCheck:
        """From an experiment spec (any object with the spec's attributes)."""
        return cls(
            name=spec.name,
            trainable=spec.trainable,
            sampling=spec.sampling.method,
            planned_runs=spec.planned_runs,
            concurrent_runs=spec.budget.concurrent_runs,
            max_duration_minutes=spec.budget.max_duration_minutes,
            warnings=warnings or [],
            spec=spec.to_json(),
        )


class Metrics(WireModel):
    """A run's per-epoch series by metric name (its latest attempt)."""

    run_id: str
    attempt: int
    steps: list[int]
    series: dict[str, list[float | None]]
    downsampled: bool


class Curve(WireModel):
    run_id: str
    number: int
    status: str
    stopped_at_interval: int | None
    steps: list[int]
    values: list[float]


class Overview(WireModel):
    """Runs as columns (aligned lists, sampled past ``max_runs``), the best-so-far over every
    run, and a bounded set of thinned learning curves."""

    experiment_id: str
    goal: str
    columns: dict[str, list[Any]] = Field(
        description="id, number, status, best_metric, epochs, stopped_at_interval"
    )
    params: dict[str, list[Any]] = Field(description="one column per hyperparameter")
    runs_total: int = Field(description="runs in the experiment; `columns` may show fewer")
    best_so_far: dict[str, list[Any]] = Field(
        description="number, value: where the best over all runs improved, and the last run"
    )
    curves: list[Curve]
    curves_total: int = Field(description="runs with values; `curves` may show fewer")


class Artifact(WireModel):
    name: str
    size: int


class Dataset(WireModel):
    id: str
    name: str
    rows: int
    columns: list[str]
    frequency: str = Field("h", description="a pandas offset alias: h, D, W-SUN, MS, QE-DEC …")
    frequency_seconds: int = Field(description="one step's nominal length (a month: its mean)")
    start: datetime
    end: datetime
    size_bytes: int
    sha256: str
    created_at: UtcDatetime
    column_signs: dict[str, str] | None = None  # "zeros or sign changes": no val_mape/smape
    filled_rows: int = 0  # steps with a missing value the upload filled (fill_gaps)
    series_column: str | None = None  # a panel: the upload's series column
    series_count: int = 1


class Health(WireModel):
    status: str
    version: str
    database: str


class ExperimentPage(WireModel):
    items: list[Experiment]
    limit: int
    offset: int


class RunPage(WireModel):
    items: list[Run]
    limit: int
    offset: int


class DatasetPage(WireModel):
    items: list[Dataset]
    limit: int
    offset: int
