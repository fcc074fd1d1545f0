"""A restarted driver restores a Ray checkpoint whose files disagree (the driver was killed while
Ray copied them to the storage path): every drawn run still runs, none twice."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest
from ray import tune
from ray.tune.search import Searcher

from tuner.engine import ray_checkpoint
from tuner.engine.ray_checkpoint import LIMITER_KEY, _consistent, reconcile, trial_states


class Counting(Searcher):
    """Draws x = 1, 2, 3, ... and saves its state the way ours do."""

    def __init__(self) -> None:
        super().__init__(metric="score", mode="max")
        self.drawn = 0

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        self.drawn += 1
        return {"x": self.drawn}

    def on_trial_complete(self, trial_id: str, result: Any = None, error: bool = False) -> None:
        pass

    def save(self, checkpoint_path: str) -> None:
        Path(checkpoint_path).write_bytes(pickle.dumps(self.__dict__))

    def restore(self, checkpoint_path: str) -> None:
        self.__dict__.update(pickle.loads(Path(checkpoint_path).read_bytes()))


def scoring(config: dict[str, Any]) -> None:
    tune.report({"score": float(config["x"])})


def finished_experiment(storage: Path) -> Path:
    tune.Tuner(
        scoring,
        tune_config=tune.TuneConfig(search_alg=Counting(), num_samples=3, max_concurrent_trials=1),
        run_config=tune.RunConfig(name="three", storage_path=str(storage), verbose=0),
    ).fit()
    return storage / "three"


def as_if_the_last_trial_was_never_saved(directory: Path) -> str:
    """The trials' file of before the third draw beside the search state of after it."""
    path = ray_checkpoint._newest(directory, ray_checkpoint.TRIALS_FILES)
    assert path is not None
    state = json.loads(path.read_text())
    trials = [json.loads(t) for t, _ in state["trial_data"]]
    last = max(range(len(trials)), key=lambda i: trials[i]["experiment_tag"])
    lost = trials[last]["trial_id"]
    del state["trial_data"][last]
    path.write_text(json.dumps(state))
    search_path = ray_checkpoint._newest(directory, ray_checkpoint.SEARCH_FILES)
    assert search_path is not None
    import ray.cloudpickle as cloudpickle

    search = cloudpickle.loads(search_path.read_bytes())
    search[LIMITER_KEY]["live_trials"] = {lost}  # it was live when the search state was saved
    search[LIMITER_KEY]["num_unfinished_live_trials"] = 1
    search_path.write_bytes(cloudpickle.dumps(search))
    return lost


def restored(directory: Path) -> list[float]:
    results = tune.Tuner.restore(str(directory), trainable=scoring, resume_unfinished=True).fit()
    return sorted(r.metrics["score"] for r in results)


@pytest.mark.usefixtures("ray_session")
def test_a_draw_the_trials_file_lacks_is_drawn_again_once(tmp_path: Path) -> None:
    directory = finished_experiment(tmp_path / "ray")
    lost = as_if_the_last_trial_was_never_saved(directory)
    untouched = tmp_path / "untouched"
    shutil.copytree(directory, untouched)

    assert reconcile(directory) == 1
    assert reconcile(directory) == 0  # it now agrees
    scores = restored(directory)
    assert len(scores) == 3  # the budget adds up: a third run was drawn and ran
    assert lost not in (trial_states(directory) or {})
    # What Ray does with the files as they were: the third draw never runs (this is the bug).
    assert len(restored(untouched)) == 2


def test_an_older_search_state_counts_the_trials_it_missed_and_waits_on_no_finished_one() -> None:
    search = {
        "counter": 2,
        "total_samples": 4,
        LIMITER_KEY: {"live_trials": {"b", "gone"}, "num_unfinished_live_trials": 2},
    }
    trials = {"a": "TERMINATED", "b": "RUNNING", "c": "PENDING"}
    fixed = _consistent(search, trials)
    assert fixed["counter"] == 3 and fixed["total_samples"] == 4
    assert fixed[LIMITER_KEY] == {"live_trials": {"b"}, "num_unfinished_live_trials": 1}
    assert _consistent(fixed, trials) == fixed
