"""Commands that put a tuned run to work: its forecast from fresh history, its portable model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tuner.cli.app import app, console
from tuner.cli.remote import AsJson, Token, Url, _client, _emit


@app.command()
def forecast(
    run_id: Annotated[str, typer.Argument(help="a run, or an experiment with --experiment")],
    history: Annotated[
        Path | None,
        typer.Option(help="CSV: timestamp, target, covariates; default: the data set's end"),
    ] = None,
    experiment: Annotated[
        bool, typer.Option("--experiment", help="the id is an experiment's: its best run")
    ] = False,
    ensemble: Annotated[
        bool, typer.Option("--ensemble", help="the id is an experiment's: its ensemble")
    ] = False,
    as_json: AsJson = False,
    url: Url = None,
    token: Token = None,
) -> None:
    """A run's forecast after the history given (or its data set's end), with quantiles."""
    client = _client(url, token)
    body = history.read_bytes() if history is not None else None
    if ensemble:
        made: Any = client.ensemble_forecast(run_id, body)
        title = f"forecast of experiment {run_id}'s ensemble: " + ", ".join(
            f"run #{m.number} {m.weight:.2f}" for m in made.members
        )
    else:
        made = (
            client.forecast(experiment_id=run_id, history=body)
            if experiment
            else client.forecast(run_id, body)
        )
        title = f"forecast of run {made.run_id}"
    if as_json:
        return _emit(made)
    rows = made.rows
    if not rows:
        console.print("no forecast rows")
        return
    table = Table(title=title)
    for column in rows[0]:
        table.add_column(column, justify="left" if column in ("series", "timestamp") else "right")
    for row in rows:
        table.add_row(*(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row.values()))
    console.print(table)


@app.command()
def model(
    run_id: str,
    dest: Annotated[Path | None, typer.Option(help="a folder or file; default: here")] = None,
    ensemble: Annotated[
        bool, typer.Option("--ensemble", help="the id is an experiment's: its ensemble's model")
    ] = False,
    url: Url = None,
    token: Token = None,
) -> None:
    """Download a run's portable model: `load_forecaster(path).predict(history)` anywhere."""
    client = _client(url, token)
    saved = (
        client.download_ensemble_model(run_id, dest) if ensemble
        else client.download_model(run_id, dest)
    )
    console.print(f"saved {saved}", highlight=False)
