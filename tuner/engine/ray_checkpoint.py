"""Ray Tune's experiment checkpoint made consistent before a restarted driver restores it.

Ray writes the trials' states and the search generator's state as separate files and copies
them to the storage path in the background: a driver killed during that copy leaves one file
newer than the other. Restored as is, a search state newer than the trials' believes it drew
runs that no trial holds (they never run, and the budget comes up short); an older one draws
again runs that the trials already hold (the budget is overrun). Every trial of a Ray Tune
experiment is a draw of its searcher, so the trials' file is taken as the truth.
tests/tuner/engine/test_ray_checkpoint.py checks the layout and the repair on the installed Ray.
"""

from __future__ import annotations

import glob
import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger("tunedrive.driver")

TRIALS_FILES = "experiment_state-*.json"
SEARCH_FILES = "search_gen_state-*.json"
LIMITER_KEY = "name:ConcurrencyLimiter"
UNFINISHED = frozenset({"PENDING", "RUNNING", "PAUSED"})


def _newest(directory: Path, pattern: str) -> Path | None:
    # Ray picks its newest file by name (a session's timestamp), as here.
    found = glob.glob(os.path.join(directory, pattern))
    return Path(max(found)) if found else None


def trial_states(directory: Path) -> dict[str, str] | None:
    """Trial id -> status in the newest trials' file, or None when there is none."""
    path = _newest(directory, TRIALS_FILES)
    if path is None:
        return None
    states = {}
    for trial_json, _metadata in json.loads(path.read_text())["trial_data"]:
        trial = json.loads(trial_json) if isinstance(trial_json, str) else trial_json
        states[str(trial["trial_id"])] = str(trial["status"])
    return states


def _consistent(search: dict[str, Any], trials: dict[str, str]) -> dict[str, Any]:
    """The search state with as many draws as there are trials, and a concurrency limiter
    that waits only on trials Ray will resume."""
    fixed = {**search, "counter": len(trials)}
    limiter = search.get(LIMITER_KEY)
    if limiter is not None:
        live = {t for t in limiter["live_trials"] if trials.get(t) in UNFINISHED}
        fixed[LIMITER_KEY] = {
            **limiter,
            "live_trials": live,
            "num_unfinished_live_trials": len(live),
        }
    return fixed


def reconcile(directory: Path) -> int:
    """Rewrites the newest search state of the checkpoint in ``directory`` to agree with its
    trials; returns the draws it dropped (negative: draws it added), 0 when it agreed."""
    import ray.cloudpickle as cloudpickle
    from ray.tune.utils.util import _atomic_save

    trials, path = trial_states(directory), _newest(directory, SEARCH_FILES)
    if trials is None or path is None:
        return 0
    with path.open("rb") as handle:
        search = cloudpickle.load(handle)
    fixed = _consistent(search, trials)
    if fixed == search:
        return 0
    _atomic_save(fixed, str(directory), path.name, f"tmp-{path.name}")
    dropped = int(search["counter"]) - len(trials)
    log.warning(
        "Ray's checkpoint in %s: its search state counted %d draws, its trials %d; "
        "restoring with %d",
        directory,
        search["counter"],
        len(trials),
        len(trials),
    )
    return dropped
