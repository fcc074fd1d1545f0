"""The ``tunedrive`` command line. Heavy modules (Ray, SQLAlchemy) load inside commands only.

Exit codes: 0 ok; 1 the experiment failed or was canceled (``run``, ``submit --wait``,
``watch``), or the service could not be reached or refused the request's state; 2 usage, a
refused spec or an unknown id, with the server's message.
"""

from tuner.cli import (  # noqa: F401 - importing them registers their commands
    code,
    data,
    extend,
    forecast,
    local,
    manage,
    refit,
    remote,
)
from tuner.cli.app import app, main

__all__ = ["app", "main"]
