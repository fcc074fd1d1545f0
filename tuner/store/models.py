"""SQLAlchemy 2 tables: experiments, runs, metric rows. Times are naive UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ExperimentRow(Base):
    __tablename__ = "experiments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    trainable: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)
    stop_reason: Mapped[str | None] = mapped_column(Text)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    goal: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    driver_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Kept in step with run states by Store.apply, so reads never count 10,000 runs.
    run_counts: Mapped[dict[str, int] | None] = mapped_column(JSON)
    # Raised at every driver start; a driver's writes carry the one it was given (fencing).
    lease_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # How often it was extended (DESIGN §5): each stretch of runs is its own Ray Tune experiment.
    extensions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A refit asked for and not yet run (0010): {"source": run id, "include_test": bool, and
    # the status and stop reason the experiment returns to once it has run}.
    refit_request: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_experiment_best", "experiment_id", "best_metric"),
        Index("ix_runs_experiment_trial", "experiment_id", "trial_id", unique=True),
        Index("ix_runs_experiment_number", "experiment_id", "number", unique=True),
        Index("ix_runs_experiment_status", "experiment_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    experiment_id: Mapped[str] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    trial_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    best_metric: Mapped[float | None] = mapped_column(Float)
    epochs: Mapped[int] = mapped_column(Integer, default=0)
    stopped_at_interval: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)
    node: Mapped[str | None] = mapped_column(String(200))
    seed: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None before 0006
    final_metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    artifact_dir: Mapped[str | None] = mapped_column(Text)
    # A refit (0010): the run it retrains, and how (include_test, epochs, the source's number).
    refit_of: Mapped[str | None] = mapped_column(String(32), nullable=True)
    refit: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class DatasetRow(Base):
    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    columns: Mapped[list[str]] = mapped_column(JSON)
    frequency_seconds: Mapped[int] = mapped_column(Integer)
    start: Mapped[datetime] = mapped_column(DateTime)
    end: Mapped[datetime] = mapped_column(DateTime)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Per column: positive, negative, or zeros or sign changes (no MAPE); None before 0005.
    column_signs: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    filled_rows: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A pandas offset alias (0009; earlier rows are migrated from frequency_seconds).
    frequency: Mapped[str] = mapped_column(String(40), default="h", server_default="h")
    series_column: Mapped[str | None] = mapped_column(String(200), nullable=True)
    series_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # A panel's [id, first timestamp, rows] per series: the submission checks read it.
    series: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)


class MetricRow(Base):
    __tablename__ = "metric_rows"
    __table_args__ = (Index("ix_metric_rows_run_step", "run_id", "attempt", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    step: Mapped[int] = mapped_column(Integer)
    primary_value: Mapped[float | None] = mapped_column(Float)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
