"""Tables and lines the CLI prints, for stored records and SDK results alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.table import Table

from tuner.cli.app import console
from tuner.client.schemas import Run

STATE_STYLES = {
    "completed": "green",
    "early_terminated": "yellow",
    "failed": "red",
    "canceled": "magenta",
    "running": "cyan",
    "queued": "dim",
}


def runs_table(runs: Iterable[Any], metric: str, title: str) -> Table:
    table = Table(title=title)
    for column in ("#", "status", f"best {metric}", "epochs", "params"):
        table.add_column(column)
    for run in runs:
        best = f"{run.best_metric:.4f}" if run.best_metric is not None else "-"
        stopped = f" @{run.stopped_at_interval}" if run.stopped_at_interval else ""
        params = ", ".join(f"{k}={short(v)}" for k, v in run.params.items())
        status = f"[{STATE_STYLES.get(run.status, '')}]{run.status}{stopped}[/]"
        table.add_row(str(run.number), status, best, str(run.epochs), params)
    return table


def short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def print_recommendation(advice: Any) -> None:
    """What the experiment recommends; in red when it is the baseline."""
    if advice is not None:
        style = "bold red" if advice.use == "baseline" else "green"
        console.print(f"[{style}]recommended:[/] {advice.message}", highlight=False)


def print_against_baseline(run: Run) -> None:
    """The best run's test result beside its baseline, saying plainly when it loses."""
    comparison = run.against_baseline()
    if comparison is None:
        if run.final_metrics:
            console.print(f"  final: {run.final_metrics}", highlight=False)
        return
    style = "green" if comparison.beats_baseline else "bold red"
    console.print(f"  [{style}]{comparison.sentence()}[/]", highlight=False)
