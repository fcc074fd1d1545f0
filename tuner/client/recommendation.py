"""What an experiment recommends: its best run, or the baseline when validation already said
that no run beats it (a forecaster reports ``baseline_<primary metric>``, its baseline's value
of the primary metric on validation, with its final metrics)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

TO_TRY = (
    "residual: baseline (the network learns the baseline's correction), calendar: true, a loss "
    "that matches the primary measure (loss: mae for MASE, MAE and MAPE), a longer T, or more runs"
)


class Recommendation(BaseModel):
    use: Literal["run", "baseline"]
    run_number: int
    run_value: float  # the best run's best validation value of the primary metric
    baseline: str
    baseline_value: float  # the baseline's value of the same metric on validation
    message: str


def recommend(run: Any, metric: str, goal: str) -> Recommendation | None:
    """None where the run reports no baseline (a command trial, an unscored run)."""
    final = getattr(run, "final_metrics", None) or {}
    reference = final.get(f"baseline_{metric}")
    value = getattr(run, "best_metric", None)
    if not isinstance(reference, int | float) or value is None:
        return None
    name = str(final.get("baseline", "the baseline"))
    wins = value < reference if goal == "minimize" else value > reference
    if wins:
        use, message = "run", (
            f"run {run.number} beats {name} on validation ({metric} {value:.4g} against "
            f"{reference:.4g})"
        )
    else:
        use, message = "baseline", (
            f"no run beat {name} on validation ({metric} {reference:.4g}; the best run, "
            f"#{run.number}, scored {value:.4g}): use {name}. To try: {TO_TRY}"
        )
    return Recommendation(
        use=use,
        run_number=run.number,
        run_value=value,
        baseline=name,
        baseline_value=float(reference),
        message=message,
    )
