"""Reading why a run failed, and failing an experiment whose first runs all fail alike.

DESIGN §5 (from issue 20): if the first ``FIRST_RUNS`` runs to end all failed, each within
``WITHIN_SECONDS`` of its start and for the same reason, the experiment fails with that reason
instead of spending its budget on the same mistake (a typo in the command, a missing file).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from tuner.errors import ExperimentFailed

FIRST_RUNS = 3
WITHIN_SECONDS = 60.0
_RUN_FAILED = "RunFailed: "
# What differs between runs that failed for the same reason: numbers, ids, hex, paths' runs.
_VARYING = re.compile(r"0x[0-9a-f]+|[0-9a-f]{8,}|\d+(\.\d+)?")


def error_text(trial: Any) -> str | None:
    """The latest failure of a trial, read from the error file Ray writes next to it: the
    trainable's own message where it raised RunFailed, else the traceback's tail."""
    path = getattr(trial, "error_file", None)
    try:
        text = Path(path).read_text() if path else None
    except OSError:
        text = None
    if not text:
        return None
    latest = text.rsplit("Failure # ", 1)[-1]
    if _RUN_FAILED in latest:
        return latest.rsplit(_RUN_FAILED, 1)[-1].strip()[-4000:]
    return latest[-4000:]  # the tail holds the trainable's own traceback line


def _reason(text: str | None) -> str:
    return _VARYING.sub("#", text or "")


class FailureWatch:
    """Watches the first runs to end; :meth:`ended` raises ExperimentFailed when they all
    failed quickly for one reason."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.first: list[tuple[bool, str | None]] = []  # (failed quickly, reason)

    def start(self, trial_id: str) -> None:
        self.started.setdefault(trial_id, time.monotonic())

    def ended(self, trial_id: str, failed: bool, error: str | None) -> None:
        if len(self.first) >= FIRST_RUNS:
            return
        began = self.started.get(trial_id)
        quick = began is not None and time.monotonic() - began <= WITHIN_SECONDS
        self.first.append((failed and quick, _reason(error) if failed else None))
        if len(self.first) < FIRST_RUNS:
            return
        reasons = {reason for _, reason in self.first}
        if all(quick for quick, _ in self.first) and len(reasons) == 1:
            raise ExperimentFailed(
                f"the first {FIRST_RUNS} runs all failed within a minute, for the same reason "
                f"(the rest of the budget would fail alike): {error}"
            )
