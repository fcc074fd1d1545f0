"""``tunedrive extend``: more budget for a finished experiment, through the service."""

from __future__ import annotations

from typing import Annotated

import typer

from tuner.cli.app import app, console
from tuner.cli.remote import AsJson, Token, Url, _client, _emit


@app.command()
def extend(
    experiment_id: str,
    runs: Annotated[
        int | None, typer.Option("--runs", help="runs to add to those it has", min=1)
    ] = None,
    minutes: Annotated[
        float | None, typer.Option("--minutes", help="new duration limit, from its restart")
    ] = None,
    as_json: AsJson = False,
    url: Url = None,
    token: Token = None,
) -> None:
    """Continue a finished experiment with more runs (its sampler's history kept); exit 1 while
    it still runs."""
    client = _client(url, token)
    total = None
    if runs is not None:
        total = sum(client.experiment(experiment_id).run_counts.values()) + runs
    experiment = client.extend(experiment_id, max_total_runs=total, max_duration_minutes=minutes)
    if as_json:
        _emit(experiment)
        return
    console.print(
        f"{experiment.id}: {experiment.status}, up to {experiment.max_total_runs} runs",
        highlight=False,
    )
