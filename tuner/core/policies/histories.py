"""Every run's primary-metric reports, kept so that a policy's decision costs the same at 10 runs
as at 100,000.

Per run: its values, running best and running sum. Per evaluation interval k (only the k a
policy evaluates at): sorted multisets of b_r(k), of mean_r(k) and, for policies that exclude
finished runs, of b_r(k) over finished runs. A report updates one run and, at an evaluation
interval, inserts into those multisets (O(log n)); a decision reads a constant number of stored
values (order statistics, counts, extremes). ``touched`` counts the values decisions read.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sortedcontainers import SortedList


@dataclass
class _Run:
    values: list[float] = field(default_factory=list)
    best: float | None = None
    total: float = 0.0
    finished: bool = False
    sem: float = 0.0  # the standard error its latest report carried (0: none)


@dataclass
class _Level:
    bests: SortedList = field(default_factory=SortedList)
    means: SortedList = field(default_factory=SortedList)
    finished_bests: SortedList = field(default_factory=SortedList)


class RunHistories:
    """Runs' reports, indexed at the intervals ``is_level(k)`` says a policy evaluates."""

    def __init__(
        self,
        maximize: bool,
        is_level: Callable[[int], bool],
        *,
        bests: bool = True,
        means: bool = False,
        finished_bests: bool = False,
    ) -> None:
        self.maximize = maximize
        self._is_level = is_level
        self._keep_bests = bests
        self._keep_means = means
        self._keep_finished = finished_bests
        self._runs: dict[str, _Run] = {}
        self._levels: dict[int, _Level] = {}
        self.touched = 0  # stored values read by decisions (a cost counter for tests, benches)

    # -- writing ------------------------------------------------------------------------------
    def report(
        self, run_id: str, value: float, step: int | None = None, sem: float = 0.0
    ) -> int:
        """Adds run ``run_id``'s report number ``step`` (default: its next); a step at or below
        its count first drops its later reports (a retried run starts again). ``sem``: the
        standard error of ``value`` where the run measured it (a trial group). Returns k."""
        run = self._runs.get(run_id)
        if run is None:
            run = self._runs[run_id] = _Run()
        run.sem = sem if math.isfinite(sem) and sem > 0 else 0.0
        if step is not None and step <= len(run.values):
            self._truncate(run_id, run, step - 1)
        run.values.append(value)
        run.total += value
        run.best = value if run.best is None else self._better(run.best, value)
        k = len(run.values)
        if self._is_level(k):
            level = self._levels.setdefault(k, _Level())
            if self._keep_bests:
                level.bests.add(run.best)
            if self._keep_means:
                level.means.add(run.total / k)
            if self._keep_finished and run.finished:
                level.finished_bests.add(run.best)
        return k

    def finish(self, run_id: str) -> None:
        """Marks a run finished (its reports are final); once per run, O(its levels)."""
        run = self._runs.setdefault(run_id, _Run())
        if run.finished:
            return
        run.finished = True
        if self._keep_finished:
            for k, best, _ in self._prefixes(run):
                self._levels[k].finished_bests.add(best)

    def load(self, histories: dict[str, list[float]], finished: Iterable[str]) -> None:
        """Rebuilds from stored histories (a driver's start), once; runs already known stay."""
        done = set(finished)
        for run_id, values in histories.items():
            if run_id in self._runs:
                continue
            for value in values:
                self.report(run_id, value)
            if run_id in done:
                self.finish(run_id)
        for run_id in done - set(histories):
            self.finish(run_id)

    def _truncate(self, run_id: str, run: _Run, keep: int) -> None:
        for k, best, mean in self._prefixes(run):
            if k > keep:
                level = self._levels[k]
                if self._keep_bests:
                    level.bests.remove(best)
                if self._keep_means:
                    level.means.remove(mean)
                if self._keep_finished and run.finished:
                    level.finished_bests.remove(best)
        run.values = run.values[:keep]
        run.total = math.fsum(run.values)
        run.best = self._best_of(run.values)
        run.finished = False

    def _prefixes(self, run: _Run) -> Iterable[tuple[int, float, float]]:
        """(k, b(k), mean(k)) at each indexed level the run reached, recomputed from its values."""
        best, total = None, 0.0
        for k, value in enumerate(run.values, start=1):
            total += value
            best = value if best is None else self._better(best, value)
            if self._is_level(k):
                yield k, best, total / k

    def _better(self, a: float, b: float) -> float:
        return max(a, b) if self.maximize else min(a, b)

    def _best_of(self, values: list[float]) -> float | None:
        return (max(values) if self.maximize else min(values)) if values else None

    # -- reading (what decisions use) ---------------------------------------------------------
    def reports(self, run_id: str) -> int:
        run = self._runs.get(run_id)
        return len(run.values) if run else 0

    def best(self, run_id: str) -> float:
        """b_r(k) at the run's latest report k."""
        self.touched += 1
        best = self._runs[run_id].best
        assert best is not None
        return best

    def sem(self, run_id: str) -> float:
        """The standard error the run's latest report carried; 0 when it carried none."""
        return self._runs[run_id].sem

    def mean(self, run_id: str) -> float:
        run = self._runs[run_id]
        self.touched += 1
        return run.total / len(run.values)

    def count(self, k: int, *, finished_only: bool = False) -> int:
        """Runs with at least k reports (all of them, or the finished ones), r included."""
        level = self._levels.get(k)
        if level is None:
            return 0
        if finished_only:
            return len(level.finished_bests)
        return len(level.bests if self._keep_bests else level.means)

    def best_at(self, k: int) -> float:
        """B(k): the best b_r'(k) over the runs with at least k reports."""
        bests = self._levels[k].bests
        self.touched += 1
        return bests[-1] if self.maximize else bests[0]

    def order_statistic(self, k: int, index: int, *, of: str, without: float) -> float:
        """The ``index``-th smallest (0-based) of level k's ``of`` ('bests' or 'means') values,
        one occurrence of ``without`` left out (the deciding run's own entry)."""
        values: SortedList = getattr(self._levels[k], of)
        skip = values.bisect_left(without)
        self.touched += 1
        return values[index if index < skip else index + 1]

    def count_worse(self, k: int, value: float, *, finished_only: bool = False) -> int:
        """How many b_r'(k) are strictly worse than ``value`` (ties within float noise are not)."""
        level = self._levels.get(k)
        if level is None:
            return 0
        values = level.finished_bests if finished_only else level.bests
        margin = max(1e-12 * abs(value), 1e-15)
        self.touched += 1
        if self.maximize:
            return values.bisect_left(value - margin)
        return len(values) - values.bisect_right(value + margin)

    def is_finished(self, run_id: str) -> bool:
        run = self._runs.get(run_id)
        return run is not None and run.finished
