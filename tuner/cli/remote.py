"""Commands that talk to a running service through the SDK (``tuner.client``).

Every read takes ``--json`` for scripts; the service comes from ``--url``/``$TUNEDRIVE_URL`` and
its token from ``--token``/``$TUNEDRIVE_TOKEN``.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.live import Live

from tuner.cli.app import app, console, err_console
from tuner.cli.render import print_against_baseline, print_recommendation, runs_table
from tuner.client import Client
from tuner.client.schemas import Experiment
from tuner.errors import SpecError

Url = Annotated[
    str | None, typer.Option("--url", envvar="TUNEDRIVE_URL", help="the service's address")
]
Token = Annotated[
    str | None,
    typer.Option("--token", envvar="TUNEDRIVE_TOKEN", help="bearer token", show_default=False),
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]

data_app = typer.Typer(help="Uploaded data sets.", no_args_is_help=True)
artifact_app = typer.Typer(help="A run's files (model.keras, forecast.csv).", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(artifact_app, name="artifact")


def _client(url: str | None, token: str | None) -> Client:
    return Client(url, token if token is not None else "")


def _emit(value: Any) -> None:
    if isinstance(value, list):
        value = [v.to_json() for v in value]
    elif hasattr(value, "to_json"):
        value = value.to_json()
    typer.echo(json.dumps(value, indent=2))


def _end(experiment: Experiment) -> None:
    """0 when the experiment completed, 1 when it failed or was canceled."""
    colour = "green" if experiment.status == "completed" else "red"
    err_console.print(
        f"experiment [{colour}]{experiment.status}[/]: {experiment.stop_reason or ''}",
        highlight=False,
    )
    raise typer.Exit(0 if experiment.status == "completed" else 1)


@app.command()
def submit(
    spec_file: Annotated[Path, typer.Argument(help="experiment spec (YAML or JSON)")],
    wait: Annotated[bool, typer.Option("--wait", help="follow it to its end")] = False,
    timeout: Annotated[float | None, typer.Option(help="with --wait: give up after s")] = None,
    as_json: AsJson = False,
    url: Url = None,
    token: Token = None,
) -> None:
    """Submit a spec to the service (exit 2 with the server's message if it is refused)."""
    client = _client(url, token)
    try:
        experiment = client.submit(spec_file)
    except SpecError as err:
        err_console.print(f"[red]spec refused[/red] ({spec_file}):", highlight=False)
        for problem in err.problems:
            err_console.print(f"  {problem}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    for warning in experiment.warnings:  # what of an Azure ML sweep job does not apply here
        err_console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if not wait:
        _emit(experiment) if as_json else console.print(f"submitted {experiment.id}")
        return
    err_console.print(f"submitted {experiment.id}; waiting for it to end", highlight=False)
    try:
        final = client.wait(experiment.id, timeout=timeout)
    except TimeoutError as err:
        err_console.print(f"[red]{err}[/red]")
        raise typer.Exit(1) from None
    if as_json:
        _emit(final)
    else:
        _describe(final)
    _end(final)


@app.command()
def status(
    experiment_id: str, as_json: AsJson = False, url: Url = None, token: Token = None
) -> None:
    """One experiment: status, progress against its budget, best run."""
    experiment = _client(url, token).experiment(experiment_id)
    _emit(experiment) if as_json else _describe(experiment)


@app.command(name="list")
def list_experiments(
    status_filter: Annotated[str | None, typer.Option("--status", help="only this state")] = None,
    limit: int = 50,
    as_json: AsJson = False,
    url: Url = None,
    token: Token = None,
) -> None:
    """Experiments, newest first."""
    experiments = _client(url, token).experiments(status=status_filter, limit=limit)
    if as_json:
        return _emit(experiments)
    for e in experiments:
        best = e.best_run.best_metric if e.best_run else None
        console.print(
            f"{e.id}  {e.status:10s} {e.runs_finished}/{e.max_total_runs} runs  "
            f"best {e.primary_metric} {best if best is not None else '-'}  {e.name}",
            highlight=False,
        )


@app.command()
def runs(
    experiment_id: str,
    top: Annotated[int | None, typer.Option(help="only the best N by the primary metric")] = None,
    status_filter: Annotated[str | None, typer.Option("--status", help="only this state")] = None,
    as_json: AsJson = False,
    url: Url = None,
    token: Token = None,
) -> None:
    """An experiment's runs (by number, or the best N with --top)."""
    client = _client(url, token)
    found = client.runs(experiment_id, top=top, status=status_filter)
    if as_json:
        return _emit(found)
    metric = client.experiment(experiment_id).primary_metric
    console.print(runs_table(found, metric, f"runs of {experiment_id}"))


@app.command()
def best(experiment_id: str, as_json: AsJson = False, url: Url = None, token: Token = None) -> None:
    """The run with the best primary-metric value."""
    run = _client(url, token).best_run(experiment_id)
    if as_json:
        return _emit(run)
    console.print(f"run #{run.number} ({run.id}): best {run.best_metric}", highlight=False)
    console.print(f"  params: {run.params}", highlight=False)
    print_against_baseline(run)


@app.command()
def cancel(
    experiment_id: str, as_json: AsJson = False, url: Url = None, token: Token = None
) -> None:
    """Stop an experiment: its runs end within seconds (exit 1 if it already ended)."""
    experiment = _client(url, token).cancel(experiment_id)
    _emit(experiment) if as_json else console.print(f"{experiment.id}: {experiment.status}")


@app.command()
def watch(
    experiment_id: str,
    interval: Annotated[float, typer.Option(help="seconds between updates")] = 1.0,
    top: Annotated[int, typer.Option(help="runs shown, best first")] = 20,
    url: Url = None,
    token: Token = None,
) -> None:
    """A live table of runs and the progress until the experiment ends (in a pipe: one line
    per change, then the table)."""
    client = _client(url, token)
    if console.is_terminal:
        with Live(console=console, refresh_per_second=4) as live:
            while True:
                experiment = client.experiment(experiment_id)
                table = runs_table(
                    client.runs(experiment_id, top=top), experiment.primary_metric, experiment.name
                )
                live.update(Group(progress_line(experiment), table))
                if experiment.finished:
                    break
                time.sleep(interval)
    else:
        last = ""
        while True:
            experiment = client.experiment(experiment_id)
            line = progress_line(experiment)
            if line.split(" | ")[0] != last:  # elapsed time alone is no change
                console.print(line, highlight=False)
                last = line.split(" | ")[0]
            if experiment.finished:
                break
            time.sleep(interval)
        top_runs = client.runs(experiment_id, top=top)
        console.print(runs_table(top_runs, experiment.primary_metric, experiment.name))
    _end(experiment)


def progress_line(experiment: Experiment) -> str:
    counts = experiment.run_counts
    best = experiment.best_run
    best_text = (
        f"best {experiment.primary_metric} {best.best_metric:.4g} (run #{best.number})"
        if best and best.best_metric is not None
        else f"no {experiment.primary_metric} yet"
    )
    return (
        f"{experiment.status}: {experiment.runs_finished}/{experiment.max_total_runs} runs "
        f"finished, {counts.get('running', 0)} running, {best_text} | {_elapsed(experiment)}"
    )


def _elapsed(experiment: Experiment) -> str:
    if experiment.started_at is None:
        return "not started"
    end = experiment.finished_at or datetime.now(UTC)
    seconds = int((end - experiment.started_at).total_seconds())
    limit = experiment.spec["budget"].get("max_duration_minutes")
    of = f" of {limit} min" if limit else ""
    return f"{seconds // 60}:{seconds % 60:02d} elapsed{of}"


def _describe(experiment: Experiment) -> None:
    console.print(f"[bold]{experiment.name}[/bold] ({experiment.id}), {experiment.trainable}")
    console.print(progress_line(experiment), highlight=False)
    if experiment.stop_reason:
        console.print(f"stop reason: {experiment.stop_reason}", highlight=False)
    counts = ", ".join(f"{state} {n}" for state, n in experiment.run_counts.items() if n)
    console.print(f"runs: {counts or 'none yet'}", highlight=False)
    print_recommendation(experiment.recommendation)


@artifact_app.command("download")
def artifact_download(
    run_id: str,
    name: Annotated[str, typer.Argument(help="model.keras, forecast.csv, …")],
    out: Annotated[Path | None, typer.Option(help="a folder or file; default here")] = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Save one of a run's files."""
    path = _client(url, token).download_artifact(run_id, name, out)
    console.print(f"saved {path}", highlight=False)


@artifact_app.command("list")
def artifact_list(
    run_id: str, as_json: AsJson = False, url: Url = None, token: Token = None
) -> None:
    """A run's files."""
    artifacts = _client(url, token).artifacts(run_id)
    if as_json:
        return _emit(artifacts)
    for a in artifacts:
        console.print(f"{a.name}  {a.size} bytes", highlight=False)
