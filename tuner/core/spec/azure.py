"""An Azure ML v2 sweep job (``type: sweep``) as a tunedrive spec, field by field.

What cannot apply here (a compute target, a registered environment, tags) is accepted and
listed in the warnings; what would change results (``distribution``, ``instance_count`` > 1,
``azureml:`` data, ``mltable``) is refused with the field named.
"""

from __future__ import annotations

from typing import Any

from tuner.errors import FieldProblem, SpecError

_ARGUMENTS = {  # Azure's keys, in the order tunedrive's expressions take them
    "uniform": ("min_value", "max_value"),
    "quniform": ("min_value", "max_value", "q"),
    "loguniform": ("min_value", "max_value"),  # exponents, as in tunedrive
    "qloguniform": ("min_value", "max_value", "q"),
    "normal": ("mu", "sigma"),
    "qnormal": ("mu", "sigma", "q"),
    "lognormal": ("mu", "sigma"),
    "qlognormal": ("mu", "sigma", "q"),
}
_POLICY_KEYS = {
    "bandit": ("evaluation_interval", "delay_evaluation", "slack_factor", "slack_amount"),
    "median_stopping": ("evaluation_interval", "delay_evaluation"),
    "truncation_selection": (
        "evaluation_interval",
        "delay_evaluation",
        "truncation_percentage",
        "exclude_finished_jobs",
    ),
}
_IGNORED = ("compute", "tags", "identity", "services", "queue_settings", "properties", "jobs")
_KNOWN = {
    "$schema",
    "type",
    "name",
    "display_name",
    "experiment_name",
    "description",
    "trial",
    "search_space",
    "sampling_algorithm",
    "objective",
    "early_termination",
    "limits",
    "inputs",
    "outputs",
    "resources",
    *_IGNORED,
}


def is_sweep(document: Any) -> bool:
    return isinstance(document, dict) and document.get("type") == "sweep"


class _Translation:
    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []
        self.warnings: list[str] = []

    def refuse(self, field: str, message: str) -> None:
        self.problems.append(FieldProblem(field, message))


def from_sweep(document: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The tunedrive spec of a sweep job, and the warnings; SpecError names refused fields."""
    t = _Translation()
    for key in document:
        if key not in _KNOWN:
            t.refuse(key, "not a field of an Azure ML v2 sweep job that tunedrive knows")
        elif key in _IGNORED:
            t.warnings.append(f"{key}: ignored; runs go to this service's Ray workers")
    spec: dict[str, Any] = {
        "name": str(
            document.get("display_name")
            or document.get("name")
            or document.get("experiment_name")
            or "sweep"
        )[:200],
        "description": str(document.get("description") or ""),
        "search_space": {
            name: _expression(t, name, raw)
            for name, raw in (document.get("search_space") or {}).items()
        },
        "trial": _trial(t, document.get("trial") or {}),
    }
    if document.get("resources", {}).get("instance_count", 1) != 1:
        t.refuse("resources.instance_count", "runs are one process each here; use 1")
    spec["sampling"] = _sampling(t, document.get("sampling_algorithm", "random"))
    objective = document.get("objective") or {}
    spec["primary_metric"] = {
        "name": objective.get("primary_metric"),
        "goal": objective.get("goal"),
    }
    if document.get("early_termination"):
        spec["early_termination"] = _policy(t, document["early_termination"])
    spec["budget"] = _limits(t, document.get("limits") or {})
    spec["inputs"] = {
        name: _input(t, name, value) for name, value in (document.get("inputs") or {}).items()
    }
    spec["outputs"] = {
        name: _output(t, name, value) for name, value in (document.get("outputs") or {}).items()
    }
    if t.problems:
        raise SpecError(t.problems)
    return spec, t.warnings


def _expression(t: _Translation, name: str, raw: Any) -> Any:
    field = f"search_space.{name}"
    if not isinstance(raw, dict) or "type" not in raw:
        t.refuse(field, "an Azure search space entry is {type: choice, values: [...]} and alike")
        return raw
    kind = raw["type"]
    if kind == "choice":
        return {"choice": raw.get("values")}
    if kind == "randint":
        return {"randint": raw.get("upper")}
    if kind not in _ARGUMENTS:
        t.refuse(
            f"{field}.type",
            f"unknown type {kind!r}; Azure's are choice, randint, {', '.join(_ARGUMENTS)}",
        )
        return raw
    missing = [key for key in _ARGUMENTS[kind] if key not in raw]
    if missing:
        t.refuse(f"{field}.{missing[0]}", f"is required for {kind}")
    return {kind: [raw.get(key) for key in _ARGUMENTS[kind]]}


def _trial(t: _Translation, trial: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"command": trial.get("command")}
    for key in ("code", "environment_variables"):
        if key in trial:
            out[key] = trial[key]
    if isinstance(out.get("command"), str):
        out["command"] = " ".join(out["command"].split())  # YAML's folded lines, as Azure does
    if "distribution" in trial:
        t.refuse("trial.distribution", "distributed training is not run here; drop it")
    if "environment" in trial:
        t.warnings.append(
            "trial.environment: runs use the service's Python and its packages, not "
            f"{str(trial['environment'])[:120]}"
        )
    if trial.get("resources", {}).get("instance_count", 1) != 1:
        t.refuse("trial.resources.instance_count", "runs are one process each here; use 1")
    for key in trial:
        if key not in (
            "command",
            "code",
            "environment_variables",
            "distribution",
            "environment",
            "resources",
        ):
            t.warnings.append(f"trial.{key}: ignored")
    return out


def _sampling(t: _Translation, raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        return {"method": raw}
    if not isinstance(raw, dict):
        t.refuse("sampling_algorithm", "random, grid or bayesian (or an object with type)")
        return {}
    out: dict[str, Any] = {"method": raw.get("type", "random")}
    for key in ("seed", "rule"):
        if key in raw:
            out[key] = raw[key]
    if "logbase" in raw:
        t.refuse("sampling_algorithm.logbase", "not supported here; loguniform's base is e")
    return out


def _policy(t: _Translation, raw: dict[str, Any]) -> dict[str, Any]:
    kind = raw.get("type")
    if kind not in _POLICY_KEYS:
        t.refuse("early_termination.type", "bandit, median_stopping or truncation_selection")
        return {}
    out: dict[str, Any] = {"policy": kind}
    for key, value in raw.items():
        if key == "type":
            continue
        if key not in _POLICY_KEYS[kind]:
            t.refuse(f"early_termination.{key}", f"not a key of the {kind} policy")
        out["exclude_finished_runs" if key == "exclude_finished_jobs" else key] = value
    return out


def _limits(t: _Translation, raw: dict[str, Any]) -> dict[str, Any]:
    names = {
        "max_total_trials": "max_total_runs",
        "max_concurrent_trials": "max_concurrent_runs",
    }
    out: dict[str, Any] = {names[k]: v for k, v in raw.items() if k in names}
    for key, target in (("timeout", "max_duration_minutes"), ("trial_timeout", "max_run_minutes")):
        if key in raw:
            seconds = raw[key]
            if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
                out[target] = seconds / 60
            else:
                t.refuse(f"limits.{key}", "a number of seconds > 0")
    for key in raw:
        if key not in (*names, "timeout", "trial_timeout"):
            t.refuse(f"limits.{key}", "not a limit of a sweep job")
    return out


def _azure_data(path: Any) -> bool:
    return isinstance(path, str) and (path.startswith("azureml:") or "://" in path)


def _input(t: _Translation, name: str, value: Any) -> Any:
    field = f"inputs.{name}"
    if not isinstance(value, dict):
        return value
    kind = value.get("type")
    if kind in ("string", "integer", "number", "boolean"):
        return value.get("default")
    if kind == "mltable":
        t.refuse(f"{field}.type", "mltable is not read here; use uri_file or uri_folder")
    elif kind not in ("uri_file", "uri_folder"):
        t.refuse(f"{field}.type", "uri_file, uri_folder or a literal value")
    elif _azure_data(value.get("path")):
        t.refuse(
            f"{field}.path",
            f"{value.get('path')!r} is Azure ML data; download it and give a local path, or "
            "upload it as a data set",
        )
    if "mode" in value:
        t.warnings.append(f"{field}.mode: ignored; each run reads a local copy")
    return {k: v for k, v in value.items() if k != "mode"}


def _output(t: _Translation, name: str, value: Any) -> dict[str, Any]:
    value = value if isinstance(value, dict) else {}
    for key in ("mode", "path"):
        if key in value:
            t.warnings.append(f"outputs.{name}.{key}: ignored; outputs are the run's artifacts")
    if value.get("type", "uri_folder") != "uri_folder":
        t.warnings.append(f"outputs.{name}: a {value['type']} is kept as a folder of files")
    return {"type": "uri_folder"}
