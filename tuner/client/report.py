"""``report(**metrics)``: how a script run as a command trial tells tunedrive its metrics.

Standalone on purpose: it needs only the standard library, so a script may copy this one file
instead of installing tunedrive. Each call writes one JSON line to the file named by
``TUNEDRIVE_METRICS_FILE`` (outside a trial: to stdout, after ``PREFIX``). It returns False once
tunedrive has asked the run to stop (an early-termination policy, a cancel, a time limit): the
script should save what it has and exit. ``step`` or ``epoch``, if given, is the report's
interval; otherwise each report of the primary metric is the next interval.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

PREFIX = "##tunedrive[report] "
METRICS_FILE = "TUNEDRIVE_METRICS_FILE"
STOP_FILE = "TUNEDRIVE_STOP_FILE"


def _plain(value: Any) -> Any:
    """numpy scalars and arrays (anything with ``item`` or ``tolist``) as Python numbers."""
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value  # NaN and infinities too: written as JSON's NaN/Infinity, read as such
    if hasattr(value, "tolist"):  # numpy: a scalar's is a number, an array's a list
        return _plain(value.tolist())
    if hasattr(value, "item"):
        return _plain(value.item())
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    try:
        return _plain(float(value))
    except (TypeError, ValueError):
        return str(value)


def should_stop() -> bool:
    """Whether tunedrive has asked this run to stop."""
    path = os.environ.get(STOP_FILE)
    return bool(path) and os.path.exists(path)


def report(**metrics: Any) -> bool:
    """Reports metrics (numbers; numpy's are fine); True to go on, False to stop now."""
    line = json.dumps({k: _plain(v) for k, v in metrics.items()}, allow_nan=True)
    path = os.environ.get(METRICS_FILE)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
    else:
        sys.stdout.write(PREFIX + line + "\n")
        sys.stdout.flush()
    return not should_stop()


__all__ = ["PREFIX", "report", "should_stop"]
