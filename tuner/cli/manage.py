"""``tunedrive check`` (every submission check, here or against a service) and the deletes."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated, Any

import typer

from tuner.cli.app import app, console, err_console
from tuner.cli.remote import Token, Url, _client, data_app
from tuner.client.schemas import SpecCheck
from tuner.errors import SpecError


@app.command()
def check(
    spec_file: Path,
    server: Annotated[
        str | None,
        typer.Option("--server", help="check against this service's data and nodes instead"),
    ] = None,
    token: Token = None,
) -> None:
    """Run every check a submission makes (the spec, its data set, windows, resources) and
    print what it would run; nothing is queued. Exit 2 with each bad field."""
    try:
        planned = _remote_check(spec_file, server, token) if server else _local_check(spec_file)
    except SpecError as err:
        err_console.print(f"[red]spec refused[/red] ({spec_file}):")
        for problem in err.problems:
            err_console.print(f"  {problem}", highlight=False)
        raise typer.Exit(2) from None
    where = server or "this machine"
    console.print(
        f"ok: {planned.name} ({planned.trainable}), {planned.sampling} sampling, "
        f"{planned.planned_runs} runs planned"
        + (f", up to {planned.concurrent_runs} at once" if planned.concurrent_runs else "")
        + (
            f", {planned.max_duration_minutes:g} min at most"
            if planned.max_duration_minutes
            else ""
        )
        + f"; checked against {where}",
        highlight=False,
    )


def _remote_check(spec_file: Path, server: str, token: str | None) -> SpecCheck:
    with _client(server, token) as client:
        return client.check(spec_file)


def _local_check(spec_file: Path) -> Any:
    from tuner.core.spec import load_spec

    if importlib.util.find_spec("sqlalchemy") is None:
        return SpecCheck.of(load_spec(spec_file))
    # The server install: the data set, windows and resources, as submission checks them; a
    # command trial's local code is stored as a snapshot here, as `tunedrive run` would.
    from tuner.cli.local import local_spec
    from tuner.core.settings import Settings
    from tuner.service.submission import check_submission
    from tuner.store import Store

    settings = Settings()
    spec = local_spec(spec_file, settings)
    store = Store.open(settings.resolved_database_url)
    try:
        check_submission(spec, store, settings)
    finally:
        store.close()
    return SpecCheck.of(spec)


@app.command()
def delete(experiment_id: str, url: Url = None, token: Token = None) -> None:
    """Delete a finished experiment with its runs, metrics and files (exit 1 while it runs)."""
    with _client(url, token) as client:
        client.delete_experiment(experiment_id)
    console.print(f"deleted experiment {experiment_id}", highlight=False)


@data_app.command("delete")
def data_delete(dataset_id: str, url: Url = None, token: Token = None) -> None:
    """Delete an uploaded data set and its file (exit 1 while an experiment uses it)."""
    with _client(url, token) as client:
        client.delete_dataset(dataset_id)
    console.print(f"deleted data set {dataset_id}", highlight=False)
