"""The sampling methods behind Ray Tune's Searcher API: seeded, capped, repeatable."""

from __future__ import annotations

import math
from typing import Any

import optuna
import pytest

from tuner.core.sampling import RUN_NUMBER_KEY
from tuner.core.spec import parse_spec
from tuner.engine.searchers import CountedNumbers, build_searcher


def spec_for(method: str, seed: int, rule: str = "random") -> Any:
    return parse_spec(
        {
            "name": "s",
            "trainable": "toy_curve",
            "search_space": {
                "x": {"uniform": [0.0, 1.0]},
                "y": {"choice": [0.0, 0.1, 0.2]},
                "sleep": {"loguniform": [-5, -1]},
            },
            "sampling": {"method": method, "seed": seed, "rule": rule},
            "primary_metric": {"name": "score", "goal": "maximize"},
            "budget": {"max_total_runs": 30},
        }
    )


def finite_spec(method: str, seed: int, runs: int, y: list[float]) -> Any:
    """A toy space of choices only: x in 0.1, 0.2, 0.3 crossed with ``y``."""
    return parse_spec(
        {
            "name": "finite",
            "trainable": "toy_curve",
            "search_space": {"x": {"choice": [0.1, 0.2, 0.3]}, "y": {"choice": y}},
            "sampling": {"method": method, "seed": seed},
            "primary_metric": {"name": "score", "goal": "maximize"},
            "budget": {"max_total_runs": runs},
        }
    )


def sampled(config: Any) -> tuple[tuple[str, Any], ...]:
    """A drawn configuration without its run number, as a hashable point."""
    return tuple(sorted((k, v) for k, v in config.items() if k != RUN_NUMBER_KEY))


def suggestions(spec: Any, n: int = 16) -> list[dict[str, Any]]:
    """Drives the real Ray Tune searcher: suggest, then report a deterministic objective."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    searcher = build_searcher(spec)
    out = []
    for i in range(n):
        config = searcher.suggest(f"t{i}")
        out.append(config)
        searcher.on_trial_complete(f"t{i}", {"_objective": config["x"] + config["y"]})
    return out


@pytest.mark.parametrize(
    ("method", "rule"), [("random", "random"), ("random", "sobol"), ("bayesian", "random")]
)
def test_same_seed_gives_same_sequence(method: str, rule: str) -> None:
    first = suggestions(spec_for(method, 7, rule))
    assert first == suggestions(spec_for(method, 7, rule))
    assert first != suggestions(spec_for(method, 8, rule))


def test_sobol_covers_the_unit_interval_evenly() -> None:
    xs = sorted(c["x"] for c in suggestions(spec_for("random", 5, "sobol"), 16))
    gaps = [b - a for a, b in zip([0.0, *xs], [*xs, 1.0], strict=True)]
    assert max(gaps) < 0.2  # 16 random points leave larger holes far more often


def test_grid_searcher_is_capped_and_seeded() -> None:
    spec = finite_spec("grid", 1, runs=4, y=[0.0, 0.5])
    searcher = build_searcher(spec)
    configs = [searcher.suggest(f"t{i}") for i in range(6)]
    assert all(isinstance(c, dict) for c in configs[:4]) and configs[4] == "FINISHED"
    assert len({sampled(c) for c in configs[:4]}) == 4  # distinct grid points
    again = build_searcher(spec)
    assert [again.suggest(f"t{i}") for i in range(4)] == configs[:4]  # same seed, same order


def test_a_bayesian_sampler_starts_from_the_finished_runs_it_is_given() -> None:
    """Extend and warm start (DESIGN §5): the study holds the finished runs before the first
    draw, so its trial count continues; a run outside the space is skipped."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    spec = spec_for("bayesian", 3)
    history = [
        ({"x": 0.25, "y": 0.1, "sleep": 0.05}, 0.35),
        ({"x": 0.75, "y": 0.2, "sleep": 0.1}, 0.95),
        ({"x": 0.5, "y": 0.7, "sleep": 0.1}, 1.2),  # y = 0.7 is not a choice: skipped
    ]
    searcher = build_searcher(spec, history)
    study = searcher.study
    assert [t.value for t in study.trials] == [0.35, 0.95]
    assert study.trials[1].params["sleep"] == pytest.approx(math.log(0.1))  # latent: exponent
    assert study.best_trial.value == 0.95
    searcher.suggest("t-new")
    assert len(study.trials) == 3  # the sampler's count goes on from the history


def test_a_finite_space_passes_over_configurations_the_experiment_already_ran() -> None:
    spec = finite_spec("random", 5, runs=6, y=[0.0, 0.1])
    ran = [({"x": 0.2, "y": 0.0}, 0.1), ({"x": 0.3, "y": 0.1}, 0.3)]
    searcher = build_searcher(spec, ran, done=ran)
    new = [searcher.suggest(f"t{i}") for i in range(4)]
    assert searcher.suggest("t5") == "FINISHED"
    seen = {sampled(p) for p in [*new, *(p for p, _ in ran)]}
    assert len(seen) == 6  # every configuration once, the finished two not again


def test_bayesian_sampling_of_a_small_finite_space_never_repeats_a_finished_configuration() -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    spec = finite_spec("bayesian", 2, runs=6, y=[0.0, 0.1])
    searcher = build_searcher(spec)
    drawn = []
    for i in range(6):  # one at a time: each ends before the next is drawn
        config = searcher.suggest(f"t{i}")
        drawn.append(sampled(config))
        searcher.on_trial_complete(f"t{i}", {"_objective": config["x"] + config["y"]})
    assert len(set(drawn)) == 6  # TPE, left alone, draws its favourite again


@pytest.mark.parametrize("method", ["grid", "random", "bayesian"])
def test_a_failed_configuration_counts_as_done_but_not_as_history(method: str) -> None:
    """Extend after failures (DESIGN §5): a run that failed is not drawn again, and the
    sampler learns only from scored runs."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    spec = finite_spec(method, 4, runs=6, y=[0.0, 0.1])
    scored = [({"x": 0.1, "y": 0.0}, 0.1)]
    failed = ({"x": 0.3, "y": 0.1}, None)
    searcher = build_searcher(spec, scored, done=[*scored, failed])
    drawn = []
    for i in range(4):
        config = searcher.suggest(f"t{i}")
        drawn.append(sampled(config))
        searcher.on_trial_complete(f"t{i}", {"_objective": config["x"] + config["y"]})
    assert len(set(drawn)) == 4
    assert sampled(failed[0]) not in drawn and sampled(scored[0][0]) not in drawn
    if method == "bayesian":
        told = [t.value for t in searcher.study.trials if t.state.name == "COMPLETE"]
        assert told[0] == 0.1  # the scored run, first in the study


@pytest.mark.parametrize(
    ("method", "space"), [("grid", "finite"), ("random", "finite"), ("bayesian", "any")]
)
def test_each_drawn_configuration_carries_its_run_number_after_the_earlier_stretches(
    method: str, space: str, tmp_path: Any
) -> None:
    """A run's seed follows from its number (DESIGN §6.4), and Ray's ids of searched trials are
    random: the number travels in the config, counted on from the runs before this stretch,
    and survives the searcher's checkpoint (a driver restart)."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    spec = (
        finite_spec(method, 3, runs=6, y=[0.0, 0.1]) if space == "finite" else spec_for(method, 3)
    )
    searcher = build_searcher(spec, numbers=CountedNumbers(2))
    assert [searcher.suggest(f"t{i}")[RUN_NUMBER_KEY] for i in range(2)] == [3, 4]
    searcher.save(str(tmp_path / "searcher.pkl"))
    restored = build_searcher(spec)
    restored.restore(str(tmp_path / "searcher.pkl"))
    assert restored.suggest("t2")[RUN_NUMBER_KEY] == 5


def test_a_run_a_policy_stopped_teaches_tpe_at_the_rung_it_reached() -> None:
    """Multi-fidelity TPE: every interval's objective is reported at its step; a run the
    policy stopped is told as pruned at its last rung (ranked below runs trained to their end,
    however good its few epochs looked), a run that trained to its end as complete."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    stopped: set[str] = set()
    searcher = build_searcher(spec_for("bayesian", 3), policy_stops=stopped)
    for trial_id in ("short", "full"):
        searcher.suggest(trial_id)
    for step, value in [(1, 0.2), (2, 0.5)]:
        searcher.on_trial_result("short", {"_objective": value, "_step": step})
    searcher.on_trial_result("short", {"_objective": 0.1, "_step": 1})  # a retry's first report
    stopped.add("short")  # the scheduler's record, as the policy decides
    searcher.on_trial_result("short", {"_objective": 0.9, "_step": 3, "_final": True})
    searcher.on_trial_complete("short", {"_objective": 0.5})
    for step in (1, 2, 3):
        searcher.on_trial_result("full", {"_objective": 0.1 * step, "_step": step})
    searcher.on_trial_complete("full", {"_objective": 0.3})
    short, full = searcher.study.trials
    assert short.state == optuna.trial.TrialState.PRUNED
    assert short.intermediate_values == {1: 0.2, 2: 0.5}
    assert full.state == optuna.trial.TrialState.COMPLETE and full.value == 0.3
    assert full.intermediate_values == {1: 0.1, 2: pytest.approx(0.2), 3: pytest.approx(0.3)}
    assert searcher.study.best_trial.number == full.number  # 0.5 at a rung is not a result
