"""Commands for tuning your own code: a run's logs, the trainables, code uploads."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from tuner.cli.app import app, console
from tuner.cli.remote import AsJson, Token, Url, _client, _emit

code_app = typer.Typer(help="Code snapshots for command trials.", no_args_is_help=True)
app.add_typer(code_app, name="code")


@app.command()
def logs(
    run_id: str,
    stream: Annotated[
        Literal["stdout", "stderr"], typer.Option(help="which output of the run")
    ] = "stdout",
    tail: Annotated[int, typer.Option(help="lines from the end")] = 200,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="until the run ends")] = False,
    url: Url = None,
    token: Token = None,
) -> None:
    """A command trial's stdout or stderr (its last lines; with --follow, as it goes on)."""
    client = _client(url, token)
    if not follow:
        sys.stdout.write(client.logs(run_id, stream, tail))
        return
    for chunk in client.follow_logs(run_id, stream, tail):
        sys.stdout.write(chunk)
        sys.stdout.flush()


@app.command()
def trainables(as_json: AsJson = False, url: Url = None, token: Token = None) -> None:
    """Every trainable: its hyperparameters (defaults, domains) and the metrics it reports."""
    listed = _client(url, token).trainables()
    if as_json:
        return _emit(listed)
    for trainable in listed:
        console.print(f"[bold]{trainable.name}[/bold]: {trainable.description}", highlight=False)
        if trainable.open_hyperparameters:
            console.print("  hyperparameters: whatever the search space declares")
        for name, about in trainable.hyperparameters.items():
            domain = f" in {about['domain']}" if about.get("domain") else ""
            console.print(f"  {name} = {about['default']!r}{domain}", highlight=False)
        metrics = ", ".join(trainable.metrics) or "whatever the code reports"
        console.print(f"  metrics: {metrics}", highlight=False)


@code_app.command("upload")
def code_upload(
    folder: Annotated[Path, typer.Argument(help="the folder to pack (ignore file honoured)")],
    as_json: AsJson = False,
    url: Url = None,
    token: Token = None,
) -> None:
    """Pack and store a folder of code; its id goes in a spec as trial.code."""
    snapshot = _client(url, token).upload_code(folder)
    if as_json:
        return _emit(snapshot)
    state = "stored" if snapshot.created else "already stored"
    console.print(f"{snapshot.id} ({snapshot.files} files, {snapshot.bytes} bytes, {state})")
