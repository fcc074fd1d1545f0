"""The ``tunedrive`` command line. Heavy modules (Ray, SQLAlchemy) load inside commands only.

Exit codes: 0 ok; 1 the experiment failed or was canceled (``run``, ``submit --wait``,
``watch``), or the service could not be reached or refused the request's state; 2 usage, a
refused spec or an unknown id, with the server's message.
"""

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


from tuner.cli import local, remote  # noqa: E402, F401 - the commands register on `app`
