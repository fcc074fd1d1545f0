"""What bench/chaos.py checks from the store once every experiment has ended (DESIGN §5)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuner.engine.trial import run_seed
from tuner.store import Store


@dataclass
class Verdict:
    experiments: int = 0
    ended: int = 0
    runs: int = 0
    rows_stored: int = 0
    rows_acked: int = 0
    never_started: int = 0  # numbers drawn for runs whose driver died before they started
    rows_lost: int = 0  # reports that returned to the trainable but are not in the store
    problems: list[str] = field(default_factory=list)
    endings: Counter[str] = field(default_factory=Counter)  # experiments by end state
    reasons: Counter[str] = field(default_factory=Counter)  # and their stop reasons

    @property
    def ok(self) -> bool:
        return not self.problems and self.rows_lost == 0


def side_rows(log_dir: Path, name: str) -> Counter[tuple[str, int, str]]:
    path = log_dir / name
    lines = path.read_text().splitlines() if path.exists() else []
    return Counter((q, int(e), s) for q, e, s in (line.split() for line in lines))


def check_experiment(
    store: Store, experiment_id: str, log_dir: Path, seed: int, verdict: Verdict
) -> None:
    record = store.get_experiment(experiment_id)
    verdict.experiments += 1
    name = f"experiment {experiment_id} ({record.name})"
    if record.status in ("queued", "running"):
        verdict.problems.append(f"{name} never ended: {record.status}")
        return
    verdict.ended += 1
    verdict.endings[record.status] += 1
    verdict.reasons[(record.stop_reason or "")[:90]] += 1
    runs = store.list_runs(experiment_id)
    verdict.runs += len(runs)
    verdict.never_started += sum(r.started_at is None for r in runs)
    numbers = [r.number for r in runs]
    if sorted(numbers) != list(range(1, len(runs) + 1)):
        verdict.problems.append(f"{name}: run numbers {sorted(numbers)} are not 1..{len(runs)}")
    for run in runs:
        if run.status in ("queued", "running"):
            verdict.problems.append(f"{name}: run {run.number} left {run.status}")
        if run.seed is not None and run.seed != run_seed(seed, run.number):
            verdict.problems.append(f"{name}: run {run.number} has seed {run.seed}, not its own")
    started = [r for r in runs if r.started_at is not None]
    budget = int(record.spec["budget"]["max_total_runs"])
    if len(started) > budget:
        verdict.problems.append(f"{name}: {len(started)} runs started, budget {budget}")
    if record.status == "completed" and len(started) != budget:
        verdict.problems.append(f"{name}: completed with {len(started)} of {budget} runs")
    keys: list[Any] = []
    stored: Counter[tuple[str, int, str]] = Counter()
    for run in started:  # a number drawn for a run that never started has no rows
        quality = repr(float(run.params["x"]) + float(run.params.get("y", 0.0)))
        for row in store.metric_rows(run.id):
            keys.append((run.id, row.attempt, row.step))
            stored[(quality, row.step, repr(row.values.get("score")))] += 1
    if len(keys) != len(set(keys)):
        verdict.problems.append(f"{name}: {len(keys) - len(set(keys))} rows stored twice")
    acked, reported = side_rows(log_dir, "acked.log"), side_rows(log_dir, "reports.log")
    verdict.rows_stored += sum(stored.values())
    verdict.rows_acked += sum(acked.values())
    verdict.rows_lost += sum((acked - stored).values())
    invented = stored - reported
    if invented:
        verdict.problems.append(f"{name}: {sum(invented.values())} stored rows never reported")
