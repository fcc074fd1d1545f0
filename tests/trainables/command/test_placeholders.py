"""The command line's placeholders, through the spec checks a submission makes."""

from __future__ import annotations

from typing import Any

import pytest

from trainables.command.placeholders import substitute
from tuner.core.spec import parse_spec
from tuner.errors import SpecError

SNAPSHOT = "a" * 64


def _spec(command: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "p",
        "trial": {"command": command, "code": SNAPSHOT},
        "search_space": {"lr": {"choice": [0.1]}, "units": {"choice": [8, 16]}},
        "primary_metric": {"name": "loss", "goal": "minimize"},
        "budget": {"max_total_runs": 2},
        **overrides,
    }


def _problems(spec: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(SpecError) as refused:
        parse_spec(spec)
    return {p.field: p.message for p in refused.value.problems}


def test_each_token_is_split_first_then_substituted() -> None:
    argv = substitute(
        "python t.py --name ${{search_space.name}} --tag 'x ${{inputs.tag}}' "
        "--n=${{search_space.n}}",
        {"search_space": {"name": "a b; rm -rf /", "n": 3}, "inputs": {"tag": 'it\'s "q"'}},
    )
    assert argv == ["python", "t.py", "--name", "a b; rm -rf /", "--tag", 'x it\'s "q"', "--n=3"]


def test_booleans_and_floats_render_as_one_argument() -> None:
    argv = substitute(
        "run ${{search_space.a}} ${{search_space.b}}", {"search_space": {"a": True, "b": 1e-5}}
    )
    assert argv == ["run", "true", "1e-05"]


def test_a_valid_command_spec_parses_as_the_command_trainable() -> None:
    spec = parse_spec(_spec("python t.py ${{search_space.lr}} ${{search_space.units}}"))
    assert spec.trainable == "command" and spec.definition.open_hyperparameters


def test_unknown_placeholders_are_refused_by_name() -> None:
    with pytest.raises(SpecError) as refused:
        parse_spec(
            _spec(
                "python t.py ${{search_space.lr}} ${{search_space.units}} ${{job.x}} ${{inputs.d}}"
            )
        )
    messages = [p.message for p in refused.value.problems if p.field == "trial.command"]
    assert any(m.startswith("unknown placeholder ${{job.x}}") for m in messages)
    assert any("${{inputs.d}} names no inputs entry" in m for m in messages)


def test_a_space_name_the_command_lacks_or_never_uses_is_refused() -> None:
    problems = _problems(_spec("python t.py ${{search_space.lr}} ${{search_space.unit}}"))
    assert "names no search_space entry" in problems["trial.command"]
    assert "never uses it" in problems["search_space.units"]


def test_unbalanced_quotes_and_forecasting_fields_are_refused() -> None:
    assert "shell rules" in _problems(_spec("python 't.py"))["trial.command"]
    problems = _problems(
        _spec("python t.py ${{search_space.lr}} ${{search_space.units}}", dataset="gefcom2014")
    )
    assert "inputs" in problems["dataset"]


def test_a_local_code_path_at_the_api_says_how_to_send_it() -> None:
    spec = _spec("python t.py ${{search_space.lr}} ${{search_space.units}}")
    spec["trial"]["code"] = "./src"
    assert "POST /api/code" in _problems(spec)["trial.code"]


def test_reserved_environment_names_and_trial_groups_are_refused() -> None:
    spec = _spec(
        "python t.py ${{search_space.lr}} ${{search_space.units}}",
        evaluation={"repeats": 3},
        early_termination={"policy": "asha"},
    )
    spec["trial"]["environment_variables"] = {"TUNEDRIVE_METRICS_FILE": "/etc/passwd"}
    problems = _problems(spec)
    assert "set by the service" in problems["trial.environment_variables.TUNEDRIVE_METRICS_FILE"]
    spec["trial"]["environment_variables"] = {}
    problems = _problems(spec)
    assert "cannot train trial groups" in problems["evaluation"]
    assert "declares no training length" in problems["early_termination.max_t"]


def test_inputs_are_checked_by_name() -> None:
    command = "python t.py ${{search_space.lr}} ${{search_space.units}} ${{inputs.d}}"
    for value, field, says in [
        ({"type": "uri_file", "code": SNAPSHOT}, "inputs.d.path", "names its file"),
        ({"type": "uri_file", "path": "./local.csv"}, "inputs.d.path", "tunedrive submit"),
        ({"type": "mltable", "path": "t"}, "inputs.d.type", "uri_file"),
        ([1, 2], "inputs.d", "a literal"),
    ]:
        problems = _problems(_spec(command, inputs={"d": value}))
        assert says in problems[field], problems
    spec = parse_spec(_spec(command, inputs={"d": {"type": "uri_folder", "code": SNAPSHOT}}))
    assert spec.inputs["d"].code == SNAPSHOT
    assert parse_spec(_spec(command, inputs={"d": 0.5})).inputs == {"d": 0.5}
