"""The SDK's wait progress bar (rich, loaded only when shown)."""

from __future__ import annotations

from typing import Any

from tuner.client.schemas import Experiment


class ProgressBar:
    """rich's bar on stderr, loaded only when shown (keeps `import tuner.client` light)."""

    def __init__(self, show: bool) -> None:
        self.show = show
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> ProgressBar:
        if self.show:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} runs"),
                TextColumn("{task.fields[best]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
            self._progress.start()
        return self

    def update(self, experiment: Experiment) -> None:
        if self._progress is None:
            return
        best = experiment.best_run
        label = (
            f"best {experiment.primary_metric} {best.best_metric:.4g}"
            if best and best.best_metric is not None
            else ""
        )
        if self._task is None:
            self._task = self._progress.add_task(experiment.name, total=experiment.max_total_runs)
        self._progress.update(
            self._task,
            completed=experiment.runs_finished,
            best=label,
            description=experiment.status,
        )

    def __exit__(self, *_: object) -> None:
        if self._progress is not None:
            self._progress.stop()
