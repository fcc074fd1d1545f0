"""The Typer app, its consoles and the exit-code mapping that every command shares."""

from __future__ import annotations

import typer
from rich.console import Console

from tuner.errors import ConflictError, ServiceError, TunedriveError

app = typer.Typer(
    help="tunedrive: hyperparameter tuning for deep time-series forecasters.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def _main() -> None:
    """Tune Keras forecasters on Ray Tune with HyperDrive semantics."""


def main() -> None:
    try:
        app()
    except TunedriveError as err:
        err_console.print(f"[red]error:[/red] {err}", markup=True, highlight=False)
        raise SystemExit(1 if isinstance(err, ServiceError | ConflictError) else 2) from None
