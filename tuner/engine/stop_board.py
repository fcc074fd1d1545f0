"""Where the scheduler tells a run that a policy stopped it, so that the run ends itself.

Ray Tune stops a trial by ending its actor at the report that was judged, which leaves a
stopped run without test metrics or a model. Instead the scheduler posts the decision here
before it lets the run go on, and the run reads it as soon as its report returns (Ray holds a
function trainable at each report until the scheduler has judged it): it stops training
there, restores its best epoch, and reports its test metrics like any other run (DESIGN §4).

The board is a small named Ray actor per experiment, created by the driver (its owner, so that
it lives as long as the driver) and looked up by name by the scheduler and the runs.
"""

from __future__ import annotations

from typing import Any


class _StopBoard:
    def __init__(self) -> None:
        self._stopped: set[str] = set()

    def request(self, trial_id: str) -> None:
        self._stopped.add(trial_id)

    def requested(self, trial_id: str) -> bool:
        return trial_id in self._stopped


def board_name(experiment_id: str) -> str:
    return f"tunedrive-stops-{experiment_id}"


def open_board(experiment_id: str) -> Any:
    """Creates the experiment's board (or returns the one this driver already made)."""
    import ray

    actor = ray.remote(num_cpus=0)(_StopBoard)
    return actor.options(name=board_name(experiment_id), get_if_exists=True).remote()


def find_board(experiment_id: str) -> Any | None:
    """The experiment's board, or None where no driver made one (stop the Ray way then)."""
    import ray

    try:
        return ray.get_actor(board_name(experiment_id))
    except ValueError:
        return None
