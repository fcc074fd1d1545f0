"""The sampling methods behind Ray Tune's Searcher API: seeded, capped, repeatable."""

from __future__ import annotations

from typing import Any

import optuna
import pytest

from tuner.core.spec import parse_spec
from tuner.engine.searchers import build_searcher


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
    spec = parse_spec(
        {
            "name": "g",
            "trainable": "toy_curve",
            "search_space": {"x": {"choice": [0.1, 0.2, 0.3]}, "y": {"choice": [0.0, 0.5]}},
            "sampling": {"method": "grid", "seed": 1},
            "primary_metric": {"name": "score", "goal": "maximize"},
            "budget": {"max_total_runs": 4},
        }
    )
    searcher = build_searcher(spec)
    configs = [searcher.suggest(f"t{i}") for i in range(6)]
    assert all(isinstance(c, dict) for c in configs[:4]) and configs[4] == "FINISHED"
    assert len({tuple(c.items()) for c in configs[:4]}) == 4  # distinct grid points
    again = build_searcher(spec)
    assert [again.suggest(f"t{i}") for i in range(4)] == configs[:4]  # same seed, same order
