"""Spec refusals: every invalid spec is refused at submission, naming the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tuner.core.spec import load_spec, parse_spec
from tuner.errors import SpecError

BASE: dict[str, Any] = {
    "name": "t",
    "trainable": "toy_curve",
    "search_space": {"x": {"uniform": [0.1, 1.0]}, "y": {"choice": [0.0, 0.1]}},
    "primary_metric": {"name": "score", "goal": "maximize"},
    "early_termination": {"policy": "bandit", "slack_factor": 0.1},
    "budget": {"max_total_runs": 4, "max_concurrent_runs": 2},
}


def spec_with(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


DELETE = object()

REFUSALS = [
    ("unknown top-level key", spec_with("colour", "red"), "colour", "unknown key"),
    ("unknown nested key", spec_with("budget.max_runs", 3), "budget.max_runs", "allowed keys"),
    (
        "empty choice",
        spec_with("search_space.y", {"choice": []}),
        "search_space.y.choice",
        "non-empty list",
    ),
    (
        "lo >= hi",
        spec_with("search_space.x", {"uniform": [1.0, 1.0]}),
        "search_space.x.uniform",
        "less than",
    ),
    (
        "q <= 0",
        spec_with("search_space.x", {"quniform": [0, 1, 0]}),
        "search_space.x.quniform",
        "q must be > 0",
    ),
    (
        "sigma <= 0",
        spec_with("search_space.x", {"normal": [0, -1]}),
        "search_space.x.normal",
        "sigma",
    ),
    (
        "randint upper",
        spec_with("search_space.x", {"randint": [0]}),
        "search_space.x.randint",
        ">= 1",
    ),
    (
        "unknown expression",
        spec_with("search_space.x", {"gauss": [0, 1]}),
        "search_space.x",
        "unknown expression",
    ),
    (
        "two expressions",
        spec_with("search_space.x", {"uniform": [0, 1], "choice": [1]}),
        "search_space.x",
        "exactly one",
    ),
    (
        "wrong arity",
        spec_with("search_space.x", {"uniform": [0]}),
        "search_space.x.uniform",
        "2 numbers",
    ),
    (
        "non-number bound",
        spec_with("search_space.x", {"uniform": ["a", 1]}),
        "search_space.x.uniform",
        "low must be",
    ),
    (
        "grid with uniform",
        spec_with("sampling", {"method": "grid"}),
        "search_space.x.uniform",
        "grid sampling accepts only choice",
    ),
    (
        "sobol with bayesian",
        spec_with("sampling", {"method": "bayesian", "rule": "sobol"}),
        "sampling.rule",
        "random",
    ),
    (
        "unknown sampler",
        spec_with("sampling", {"method": "hyperband"}),
        "sampling.method",
        "random",
    ),
    (
        "both slacks",
        spec_with("early_termination.slack_amount", 0.1),
        "early_termination.slack_factor",
        "exactly one",
    ),
    (
        "no slack",
        spec_with("early_termination", {"policy": "bandit"}),
        "early_termination.slack_factor",
        "exactly one",
    ),
    (
        "truncation 0",
        spec_with(
            "early_termination", {"policy": "truncation_selection", "truncation_percentage": 0}
        ),
        "early_termination.truncation_percentage",
        "greater than or equal to 1",
    ),
    (
        "truncation 100",
        spec_with(
            "early_termination", {"policy": "truncation_selection", "truncation_percentage": 100}
        ),
        "early_termination.truncation_percentage",
        "less than or equal to 99",
    ),
    (
        "evaluation_interval 0",
        spec_with("early_termination.evaluation_interval", 0),
        "early_termination.evaluation_interval",
        "greater than or equal to 1",
    ),
    (
        "unknown policy",
        spec_with("early_termination", {"policy": "hyperband"}),
        "early_termination",
        "bandit",
    ),
    (
        "zero total runs",
        spec_with("budget.max_total_runs", 0),
        "budget.max_total_runs",
        "greater than 0",
    ),
    (
        "negative concurrency",
        spec_with("budget.max_concurrent_runs", -1),
        "budget.max_concurrent_runs",
        "greater than 0",
    ),
    (
        "zero duration",
        spec_with("budget.max_duration_minutes", 0),
        "budget.max_duration_minutes",
        "greater than 0",
    ),
    ("unknown trainable", spec_with("trainable", "xgboost"), "trainable", "available: "),
    (
        "unreported metric",
        spec_with("primary_metric.name", "accuracy"),
        "primary_metric.name",
        "valid names: score, loss",
    ),
    ("bad goal", spec_with("primary_metric.goal", "lowest"), "primary_metric.goal", "minimize"),
    (
        "undeclared parameter",
        spec_with("search_space.depth", {"choice": [1, 2]}),
        "search_space.depth",
        "declared: x, y",
    ),
    ("fixed and searched", spec_with("fixed", {"x": 0.3}), "fixed.x", "also in search_space"),
    ("fixed undeclared", spec_with("fixed", {"depth": 3}), "fixed.depth", "not a hyperparameter"),
    ("missing budget", spec_with("budget", DELETE), "budget", "required"),
    ("empty search space", spec_with("search_space", {}), "search_space", "at least one"),
    (
        "negative gpu",
        spec_with("resources", {"gpu": -1}),
        "resources.gpu",
        "greater than or equal to 0",
    ),
]


@pytest.mark.parametrize(("case", "data", "field", "hint"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusal_names_the_field(case: str, data: dict[str, Any], field: str, hint: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    fields = [p.field for p in caught.value.problems]
    assert field in fields, f"{case}: {caught.value}"
    assert hint in str(caught.value), f"{case}: {caught.value}"
    assert f"{field}: " in str(caught.value)


def test_at_least_fifteen_kinds_of_refusal() -> None:
    assert len({r[2] for r in REFUSALS}) >= 15


def test_valid_spec_round_trips_through_json() -> None:
    spec = parse_spec(BASE)
    again = parse_spec(spec.to_json())
    assert again == spec


def test_concurrency_above_total_is_clamped_but_kept_as_asked() -> None:
    spec = parse_spec(spec_with("budget", {"max_total_runs": 3, "max_concurrent_runs": 10}))
    assert spec.budget.concurrent_runs == 3
    # Stored as asked: an extension to more runs gets the concurrency the user wanted.
    again = parse_spec(spec.to_json())
    assert again.budget.max_concurrent_runs == 10


def test_yaml_text_and_message_for_broken_yaml() -> None:
    assert (
        parse_spec(
            "name: t\ntrainable: toy_curve\nsearch_space: {x: {choice: [1]}}\n"
            "primary_metric: {name: score, goal: maximize}\nbudget: {max_total_runs: 1}\n"
        ).name
        == "t"
    )
    with pytest.raises(SpecError, match="not valid YAML"):
        parse_spec("name: [unclosed")


def test_grid_size_and_planned_runs() -> None:
    data = spec_with("sampling", {"method": "grid"})
    data["search_space"] = {"x": {"choice": [1, 2, 3]}, "y": {"choice": [0, 1]}}
    assert parse_spec(data).grid_size == 6
    assert parse_spec(data).planned_runs == 4  # capped by max_total_runs
    data["budget"]["max_total_runs"] = 10
    assert parse_spec(data).planned_runs == 6


@pytest.mark.parametrize(
    "name", ["demo", "ffn", "rnn", "encoder_decoder", "rnn_teacher_forcing", "cnn"]
)
def test_shipped_configs_are_valid(name: str) -> None:
    from pathlib import Path

    spec = load_spec(Path(__file__).resolve().parents[3] / "configs" / f"{name}.yaml")
    assert spec.primary_metric.name == "val_mape"
