"""Reading a command trial's reports: JSON lines from its metrics file and prefixed stdout
lines, grouped into interval reports by Azure ML's rule (each report of the primary metric is
one interval, unless a report carries ``step`` or ``epoch``)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuner.client.report import PREFIX
from tuner.errors import RunFailed

STEP_NAMES = ("step", "epoch")
Emit = Callable[[dict[str, Any], int | None], None]


def parse_line(line: str, where: str) -> dict[str, Any] | None:
    """One report line as a mapping; None for a blank line. RunFailed for anything else."""
    line = line.strip()
    if not line:
        return None
    try:
        value = json.loads(line)
    except ValueError as err:
        raise RunFailed(f"{where}: a report line is not JSON ({err}): {line[:200]!r}") from None
    if not isinstance(value, dict):
        raise RunFailed(f"{where}: a report line is not a JSON object: {line[:200]!r}")
    return value


def stdout_report(line: str) -> str | None:
    """The JSON of a prefixed stdout line, or None for any other line."""
    return line[len(PREFIX) :] if line.startswith(PREFIX) else None


class Intervals:
    """Groups reports into intervals and hands each to ``emit`` once the primary metric is in
    it; what came after the last one is the run's final metrics."""

    def __init__(self, primary: str, emit: Emit) -> None:
        self.primary = primary
        self.emit = emit
        self.pending: dict[str, Any] = {}
        self.seen: set[str] = set()
        self.intervals = 0

    def add(self, metrics: dict[str, Any]) -> None:
        step = next((metrics[k] for k in STEP_NAMES if k in metrics), None)
        values = {k: v for k, v in metrics.items() if k not in STEP_NAMES}
        self.seen.update(values)
        self.pending.update(values)
        if self.primary in values:
            self.intervals += 1
            step_number = int(step) if isinstance(step, int | float) else None
            self.emit(self.pending, step_number)
            self.pending = {}

    def missing_primary(self) -> str | None:
        """Why a run that ended normally has no score: None where it reported the primary."""
        if self.intervals:
            return None
        if not self.seen:
            return (
                f"the command exited 0 without reporting any metric; report {self.primary!r} "
                "with tunedrive's report(), a JSON line in $TUNEDRIVE_METRICS_FILE, or "
                "mlflow.log_metric"
            )
        names = sorted(self.seen)
        near = [n for n in names if n.lower() == self.primary.lower()]
        near = near or difflib.get_close_matches(self.primary, names, n=2, cutoff=0.75)
        hint = f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
        return (
            f"the command exited 0 without reporting the primary metric {self.primary!r}; it "
            f"reported {', '.join(map(repr, names))}{hint}"
        )


class FileTail:
    """The complete lines appended to a file since the last read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.partial = b""

    def lines(self) -> list[str]:
        try:
            with self.path.open("rb") as source:
                source.seek(self.offset)
                chunk = source.read()
        except FileNotFoundError:
            return []
        self.offset += len(chunk)
        *complete, self.partial = (self.partial + chunk).split(b"\n")
        return [line.decode("utf-8", "replace") for line in complete]
