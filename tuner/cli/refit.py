"""``tunedrive refit`` (the best or a named run trained again on more data, printed beside its
source) and ``tunedrive ensemble`` (the experiment's ensemble of its runs), through the service."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from tuner.cli.app import app, console
from tuner.cli.remote import AsJson, Token, Url, _client, _emit


@app.command()
def refit(
    experiment_id: str,
    run: Annotated[
        str | None, typer.Option("--run", help="the run to refit; default: the best")
    ] = None,
    include_test: Annotated[
        bool,
        typer.Option("--include-test", help="train on the test period too (no test figures)"),
    ] = False,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="wait for the refit")] = True,
    as_json: AsJson = False,
    url: Url = None,
    token: Token = None,
) -> None:
    """Retrain a finished experiment's run on training plus validation for its best epochs
    (exit 1 while the experiment still runs), and show its test figures beside the source's."""
    client = _client(url, token)
    experiment = client.refit(experiment_id, run, include_test)
    if not wait:
        return _emit(experiment) if as_json else console.print(f"{experiment.id}: refit queued")
    made = client.wait_for_refit(experiment_id)
    if made is None or made.refit_of is None:
        console.print(f"{experiment_id}: the refit did not run; see `tunedrive logs`")
        raise typer.Exit(1)
    if as_json:
        return _emit(made)
    source = client.run(made.refit_of)
    table = Table(title=f"refit run #{made.number} of run #{source.number}: {made.status}")
    for column in ("figure", f"run #{source.number}", f"refit #{made.number}"):
        table.add_column(column)
    for name in _figures(source.final_metrics or {}):
        table.add_row(name, _shown(source.final_metrics, name), _shown(made.final_metrics, name))
    console.print(table)
    if made.error:
        console.print(made.error, highlight=False)


def _figures(source: dict[str, Any]) -> list[str]:
    wanted = [k for k in source if k.startswith("test_") and not k.endswith("_by_horizon")]
    return [*wanted, "best_epoch", "refit_windows", "trained_through", "test"]


def _shown(final: dict[str, Any] | None, name: str) -> str:
    value = (final or {}).get(name)
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@app.command()
def ensemble(
    experiment_id: str, as_json: AsJson = False, url: Url = None, token: Token = None
) -> None:
    """The ensemble of a finished experiment's runs (greedy selection on their validation
    forecasts): its members' weights, and its test figures beside the best run's."""
    client = _client(url, token)
    made = client.ensemble(experiment_id)
    if as_json:
        return _emit(made)
    best = client.best_run(experiment_id).final_metrics or {}
    table = Table(title=f"ensemble of {len(made.members)} runs")
    for column in ("figure", "ensemble", "best run", "baseline"):
        table.add_column(column)
    for name, value in made.test.items():
        theirs = made.baseline.get(f"baseline_{name}")
        table.add_row(name, f"{value:.4g}", _shown(best, name), _shown({"v": theirs}, "v"))
    console.print(table)
    console.print(
        ", ".join(f"run #{m.number} {m.weight:.2f}" for m in made.members), highlight=False
    )
