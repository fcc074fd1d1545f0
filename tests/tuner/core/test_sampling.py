"""Expressions sample inside their HyperDrive domains; seeded samplers repeat themselves."""

from __future__ import annotations

import math
from statistics import fmean, pstdev
from typing import Any

import optuna
import pytest

from tuner.core.sampling import DefineByRun, build_sampler, grid_indices, grid_points
from tuner.core.spec import parse_expression

EXPRESSIONS = {
    "choice": {"choice": [72, 168, 336]},
    "randint": {"randint": [5]},
    "uniform": {"uniform": [-1.0, 2.0]},
    "quniform": {"quniform": [0, 64, 8]},
    "loguniform": {"loguniform": [-9.2, -4.6]},
    "qloguniform": {"qloguniform": [0, 4, 2]},
    "normal": {"normal": [10.0, 2.0]},
    "qnormal": {"qnormal": [10.0, 2.0, 0.5]},
    "lognormal": {"lognormal": [0.0, 0.5]},
    "qlognormal": {"qlognormal": [1.0, 0.5, 1]},
}


def is_multiple(value: float, q: float) -> bool:
    return math.isclose(value / q, round(value / q), abs_tol=1e-9)


def in_domain(kind: str, args: list[Any], value: Any) -> bool:
    if kind == "choice":
        return value in args
    if kind == "randint":
        return isinstance(value, int) and 0 <= value < args[0]
    if kind == "uniform":
        return args[0] <= value <= args[1]
    if kind == "quniform":
        return (
            is_multiple(value, args[2]) and args[0] - args[2] / 2 <= value <= args[1] + args[2] / 2
        )
    if kind == "loguniform":
        return math.exp(args[0]) <= value <= math.exp(args[1])
    if kind == "qloguniform":
        lo, hi = (
            round(math.exp(args[0]) / args[2]) * args[2],
            round(math.exp(args[1]) / args[2]) * args[2],
        )
        return is_multiple(value, args[2]) and lo <= value <= hi
    if kind in ("normal", "qnormal"):
        return math.isfinite(value) and (kind == "normal" or is_multiple(value, args[2]))
    if kind == "lognormal":
        return value > 0
    return value >= 0 and is_multiple(value, args[2])


def draw(
    expressions: dict[str, Any], sampler: optuna.samplers.BaseSampler, n: int
) -> list[dict[str, Any]]:
    space = DefineByRun({name: parse_expression(raw) for name, raw in expressions.items()})
    study = optuna.create_study(sampler=sampler)
    draws = []
    for _ in range(n):
        trial = study.ask()
        values = space(trial)
        study.tell(trial, float(sum(hash(str(v)) % 97 for v in values.values())))
        draws.append(values)
    return draws


SAMPLERS = {
    "random": lambda: optuna.samplers.RandomSampler(seed=3),
    "sobol": lambda: optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=3),
    "bayesian": lambda: optuna.samplers.TPESampler(seed=3, n_startup_trials=5),
}


@pytest.mark.parametrize("sampler_name", list(SAMPLERS))
def test_every_expression_samples_inside_its_domain(sampler_name: str) -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    for values in draw(EXPRESSIONS, SAMPLERS[sampler_name](), 64):
        for name, raw in EXPRESSIONS.items():
            ((kind, args),) = raw.items()
            assert in_domain(kind, args, values[name]), (sampler_name, name, values[name])


def test_distributions_have_hyperdrive_meaning() -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    draws = draw(EXPRESSIONS, optuna.samplers.RandomSampler(seed=11), 2000)
    normal = [d["normal"] for d in draws]
    assert abs(fmean(normal) - 10.0) < 0.2 and abs(pstdev(normal) - 2.0) < 0.2
    logs = [math.log(d["lognormal"]) for d in draws]
    assert abs(fmean(logs)) < 0.05 and abs(pstdev(logs) - 0.5) < 0.05
    exponents = [math.log(d["loguniform"]) for d in draws]  # loguniform bounds are exponents
    assert min(exponents) >= -9.2 and max(exponents) <= -4.6 and abs(fmean(exponents) + 6.9) < 0.1
    assert {d["randint"] for d in draws} == {0, 1, 2, 3, 4}
    assert all(isinstance(d["quniform"], int) for d in draws)  # integer q gives integers


def test_grid_enumerates_every_combination_once() -> None:
    space = {
        "a": parse_expression({"choice": [1, 2, 3]}),
        "b": parse_expression({"choice": ["x", "y"]}),
    }
    points = list(grid_points(space))
    assert len(points) == 6 and len({tuple(p.items()) for p in points}) == 6
    assert points[:3] == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}]


def test_a_huge_grid_is_sampled_without_building_it() -> None:
    indices = grid_indices(4000**3, 50, seed=3)  # 6.4e10 points, as a 30 KB spec can ask
    assert len(set(indices)) == 50 and all(0 <= i < 4000**3 for i in indices)
    assert indices == grid_indices(4000**3, 50, seed=3)


def test_bayesian_sampler_is_tpe() -> None:
    from tests.tuner.engine.test_searchers import spec_for

    assert isinstance(build_sampler(spec_for("bayesian", 1)), optuna.samplers.TPESampler)


def test_random_sampling_of_a_finite_space_repeats_nothing_until_exhausted() -> None:
    from tuner.core.sampling import random_indices

    once = random_indices(12, 12, seed=5)
    assert sorted(once) == list(range(12))
    assert once != list(range(12))  # a random order, not the grid's
    assert random_indices(12, 12, seed=5) == once  # seeded: the same order again
    longer = random_indices(3, 7, seed=1)
    assert sorted(longer[:3]) == sorted(longer[3:6]) == [0, 1, 2] and len(longer) == 7
