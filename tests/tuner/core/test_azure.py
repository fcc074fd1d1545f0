"""An Azure ML v2 sweep job read as is, field by field, with its warnings and refusals."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tuner.core.spec import parse_submission
from tuner.errors import SpecError

SNAPSHOT = "b" * 64
SWEEP = f"""
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
display_name: lgbm-sweep
experiment_name: energy
description: a sweep from Azure
compute: azureml:cpu-cluster
tags: {{team: forecasting}}
trial:
  code: {SNAPSHOT}
  command: >-
    python train.py
    --lr ${{{{search_space.lr}}}} --leaves ${{{{search_space.leaves}}}}
    --boost ${{{{search_space.boost}}}} --drop ${{{{search_space.drop}}}}
    --noise ${{{{search_space.noise}}}} --alpha ${{{{inputs.alpha}}}} --out ${{{{outputs.model}}}}
  environment: azureml:AzureML-lightgbm-3.3@latest
  environment_variables: {{OMP_NUM_THREADS: "1"}}
inputs:
  alpha: 0.5
outputs:
  model: {{type: uri_folder, mode: rw_mount}}
sampling_algorithm:
  type: random
  seed: 7
  rule: sobol
search_space:
  lr: {{type: loguniform, min_value: -6, max_value: -1}}
  leaves: {{type: choice, values: [15, 31, 63]}}
  boost: {{type: randint, upper: 4}}
  drop: {{type: quniform, min_value: 0, max_value: 0.5, q: 0.1}}
  noise: {{type: normal, mu: 0, sigma: 1}}
objective: {{goal: minimize, primary_metric: val_mae}}
early_termination: {{type: bandit, evaluation_interval: 2, delay_evaluation: 4, slack_factor: 0.1}}
limits: {{max_total_trials: 20, max_concurrent_trials: 4, timeout: 7200, trial_timeout: 600}}
"""


def test_every_field_maps() -> None:
    spec, warnings = parse_submission(SWEEP)
    assert spec.trainable == "command" and spec.name == "lgbm-sweep"
    assert spec.trial.code == SNAPSHOT and "--lr ${{search_space.lr}}" in spec.trial.command
    assert "\n" not in spec.trial.command  # YAML's folded lines are one command
    assert spec.trial.environment_variables == {"OMP_NUM_THREADS": "1"}
    assert spec.inputs == {"alpha": 0.5} and list(spec.outputs) == ["model"]
    assert (spec.sampling.method, spec.sampling.seed, spec.sampling.rule) == ("random", 7, "sobol")
    space = {name: e.to_json() for name, e in spec.search_space.items()}
    assert space == {
        "lr": {"loguniform": [-6, -1]},  # exponents in both
        "leaves": {"choice": [15, 31, 63]},
        "boost": {"randint": [4]},
        "drop": {"quniform": [0, 0.5, 0.1]},
        "noise": {"normal": [0, 1]},
    }
    reach = spec.search_space["lr"].reach()
    assert reach.low == pytest.approx(math.exp(-6)) and reach.high == pytest.approx(math.exp(-1))
    assert (spec.primary_metric.name, spec.primary_metric.goal.value) == ("val_mae", "minimize")
    policy = spec.early_termination
    assert (policy.policy, policy.evaluation_interval, policy.delay_evaluation) == ("bandit", 2, 4)
    assert policy.slack_factor == 0.1
    budget = spec.budget
    assert (budget.max_total_runs, budget.max_concurrent_runs) == (20, 4)
    assert budget.max_duration_minutes == 120 and budget.max_run_minutes == 10  # seconds / 60
    said = " | ".join(warnings)
    assert "compute: ignored" in said and "tags: ignored" in said
    assert "trial.environment: runs use the service's Python" in said
    assert "outputs.model.mode: ignored" in said


def _document(**changes: Any) -> dict[str, Any]:
    import yaml

    document = yaml.safe_load(SWEEP)
    for dotted, value in changes.items():
        node = document
        *path, last = dotted.split("__")
        for part in path:
            node = node[part]
        node[last] = value
    return document


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"trial__distribution": {"type": "pytorch"}}, "trial.distribution"),
        ({"resources": {"instance_count": 2}}, "resources.instance_count"),
        (
            {"inputs": {"alpha": {"type": "uri_folder", "path": "azureml:energy:1"}}},
            "inputs.alpha.path",
        ),
        ({"inputs": {"alpha": {"type": "mltable", "path": "./t"}}}, "inputs.alpha.type"),
        ({"limits__timeout": "an hour"}, "limits.timeout"),
        ({"search_space__lr": {"type": "lognormal", "mu": 0}}, "search_space.lr.sigma"),
        ({"early_termination__slack": 0.1}, "early_termination.slack"),
        ({"schedule": {"cron": "x"}}, "schedule"),
    ],
)
def test_what_would_change_results_is_refused_by_field(changes: dict, field: str) -> None:
    with pytest.raises(SpecError) as refused:
        parse_submission(_document(**changes))
    assert field in [p.field for p in refused.value.problems]


def test_median_stopping_and_truncation_keys() -> None:
    spec, _ = parse_submission(
        _document(
            early_termination={
                "type": "truncation_selection",
                "truncation_percentage": 20,
                "exclude_finished_jobs": True,
                "evaluation_interval": 1,
            }
        )
    )
    assert spec.early_termination.exclude_finished_runs is True
    spec, _ = parse_submission(
        _document(
            early_termination={"type": "median_stopping", "delay_evaluation": 3},
            sampling_algorithm="bayesian",
        )
    )
    assert spec.early_termination.policy == "median_stopping" and spec.sampling.method == "bayesian"


def test_tunedrive_specs_are_untouched() -> None:
    spec, warnings = parse_submission(
        {
            "name": "own",
            "trainable": "ffn",
            "search_space": {"latent_dim": {"choice": [4]}},
            "primary_metric": {"name": "val_mape", "goal": "minimize"},
            "budget": {"max_total_runs": 1},
        }
    )
    assert spec.trainable == "ffn" and warnings == []
