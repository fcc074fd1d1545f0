"""What tunedrive relies on in Ray Tune beyond its documented surface, checked on the installed
Ray: a release that changes any of it fails here, not silently in a graceful stop.

- ``tune.report`` returns only after the scheduler has judged that very result: a run reads
  the stop board right after its report and must see a stop posted at that report;
- the controller methods the scheduler adapter calls (checkpoint, live trials, stop);
- the Searcher hooks our searchers implement, and the trial id passed to ``suggest``.
"""

from __future__ import annotations

import inspect
import time
from pathlib import Path
from typing import Any

import pytest
from ray import tune
from ray.tune.schedulers import FIFOScheduler, TrialScheduler
from ray.tune.search import Searcher

pytestmark = pytest.mark.usefixtures("ray_session")

JUDGE_SECONDS = 0.3


class SlowJudge(FIFOScheduler):
    """Takes its time over every result, and notes when each decision was made."""

    def __init__(self, decided: Path) -> None:
        super().__init__()
        self.decided = decided

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> str:
        time.sleep(JUDGE_SECONDS)
        with self.decided.open("a") as out:
            out.write(f"{result['step']} {time.time()!r}\n")
        return TrialScheduler.CONTINUE


def reporting(config: dict[str, Any]) -> None:
    for step in range(1, 4):
        tune.report({"step": step})
        with open(config["returned"], "a") as out:
            out.write(f"{step} {time.time()!r}\n")


def times(path: Path) -> dict[int, float]:
    return {int(s): float(t) for s, t in (line.split() for line in path.read_text().splitlines())}


def test_a_report_returns_only_after_the_scheduler_has_decided(tmp_path: Path) -> None:
    decided, returned = tmp_path / "decided", tmp_path / "returned"
    tune.Tuner(
        reporting,
        param_space={"returned": str(returned)},
        tune_config=tune.TuneConfig(scheduler=SlowJudge(decided), num_samples=1),
        run_config=tune.RunConfig(storage_path=str(tmp_path / "ray"), verbose=0),
    ).fit()
    judged, back = times(decided), times(returned)
    assert sorted(judged) == sorted(back) == [1, 2, 3]
    for step in back:
        assert back[step] >= judged[step], f"report {step} returned before its decision"


def test_the_controller_and_searcher_hooks_the_engine_uses_exist() -> None:
    from ray.tune.execution.tune_controller import TuneController

    for name in ("checkpoint", "get_live_trials", "stop_trial"):
        assert callable(getattr(TuneController, name, None)), name
    assert "force" in inspect.signature(TuneController.checkpoint).parameters
    for name in ("suggest", "on_trial_complete", "save", "restore", "set_search_properties"):
        assert callable(getattr(Searcher, name, None)), name
    assert callable(getattr(FIFOScheduler, "choose_trial_to_run", None))


def test_suggest_gets_the_trial_id_ray_then_runs_under(tmp_path: Path) -> None:
    """Run numbers are reserved in the store by the trial id handed to ``suggest``."""
    asked: list[str] = []

    class Recording(Searcher):
        def suggest(self, trial_id: str) -> dict[str, Any] | None:
            asked.append(trial_id)
            return {"returned": str(tmp_path / "returned")} if len(asked) <= 2 else None

        def on_trial_complete(self, trial_id: str, result: Any = None, error: bool = False) -> None:
            pass

    results = tune.Tuner(
        reporting,
        tune_config=tune.TuneConfig(search_alg=Recording(), num_samples=2),
        run_config=tune.RunConfig(storage_path=str(tmp_path / "ray"), verbose=0),
    ).fit()
    ran = {result.metrics["trial_id"] for result in results}
    assert ran == set(asked[:2])
