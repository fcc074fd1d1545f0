"""The spec's command-trial sections: ``trial``, ``inputs`` and ``outputs`` (Azure ML v2's
shapes). Only their form is checked here; the command trainable checks the placeholders."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from tuner.core.spec.sections import Strict, problems_error

SNAPSHOT_ID = re.compile(r"^[0-9a-f]{64}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# Set by the runner for every run; a spec cannot override them.
RESERVED_ENV_PREFIX = "TUNEDRIVE_"


def _snapshot_id(value: str | None, field: str) -> str | None:
    if value is not None and not SNAPSHOT_ID.match(value):
        raise problems_error(
            [
                (
                    field,
                    f"{value[:80]!r} is not a code id (the sha256 that POST /api/code answers); "
                    "`tunedrive submit` and the SDK upload a local folder for you",
                )
            ]
        )
    return value


class CommandTrial(Strict):
    command: str = Field(min_length=1, max_length=8192)
    code: str | None = None  # a code snapshot's id
    environment_variables: dict[str, str] = Field(default_factory=dict, max_length=200)
    stop_grace_seconds: float = Field(default=10.0, ge=0, le=600)

    @field_validator("code")
    @classmethod
    def _code_id(cls, value: str | None) -> str | None:
        return _snapshot_id(value, "trial.code")

    @field_validator("environment_variables")
    @classmethod
    def _names(cls, variables: dict[str, str]) -> dict[str, str]:
        for name in variables:
            if not ENV_NAME.match(name):
                raise problems_error(
                    [(f"trial.environment_variables.{name[:80]}", "not a variable name")]
                )
            if name.upper().startswith(RESERVED_ENV_PREFIX):
                raise problems_error(
                    [
                        (
                            f"trial.environment_variables.{name}",
                            f"{RESERVED_ENV_PREFIX}* variables are set by the service for "
                            "each run; choose another name",
                        )
                    ]
                )
        return variables


class PathInput(Strict):
    """A file or folder: from a code snapshot (``code`` with ``path`` inside it) or an uploaded
    data set (``dataset``). A plain local path is the client's to upload."""

    type: Literal["uri_file", "uri_folder"]
    code: str | None = None
    path: str | None = Field(default=None, max_length=1000)
    dataset: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PathInput:
        _snapshot_id(self.code, "inputs.code")
        if self.dataset is not None and (self.code is not None or self.type != "uri_file"):
            raise problems_error(
                [("inputs.dataset", "an uploaded data set is a uri_file input on its own")]
            )
        if self.dataset is None and self.code is None:
            raise problems_error(
                [
                    (
                        "inputs.path",
                        f"{self.path!r} is a path on the submitting machine; submit with "
                        "`tunedrive submit` or the SDK (which upload it), or give `code:` (an id "
                        "from POST /api/code) or `dataset:` (an uploaded data set's id)",
                    )
                ]
            )
        if self.type == "uri_file" and self.code is not None and not self.path:
            raise problems_error(
                [("inputs.path", "a uri_file from a code snapshot names its file inside it")]
            )
        if self.path is not None and (self.path.startswith("/") or ".." in self.path.split("/")):
            raise problems_error([("inputs.path", "must be relative, inside the snapshot")])
        return self


Input = StrictBool | StrictInt | StrictFloat | StrictStr | PathInput


def _inputs(raw: Any) -> dict[str, Input]:
    """Each input: a literal, or a mapping read as a path input; problems name the input."""
    if not isinstance(raw, dict):
        raise problems_error([("inputs", "a mapping of input names to values")])
    inputs: dict[str, Input] = {}
    problems: list[tuple[str, str]] = []
    for name, value in raw.items():
        if isinstance(value, bool | int | float | str):
            inputs[name] = value
            continue
        if not isinstance(value, dict):
            problems.append(
                (f"inputs.{name}", "a literal (number, text, true/false) or {type: uri_file, ...}")
            )
            continue
        try:
            inputs[name] = PathInput.model_validate(value)
        except ValidationError as err:
            for item in err.errors(include_url=False):
                if item["type"] == "spec_problems":
                    problems += [
                        (f.replace("inputs.", f"inputs.{name}.", 1), m)
                        for f, m in item["ctx"]["problems"]
                    ]
                else:
                    where = ".".join(str(p) for p in item["loc"])
                    problems.append((f"inputs.{name}.{where}".rstrip("."), item["msg"]))
    if problems:
        raise problems_error(problems)
    return inputs


class Output(Strict):
    type: Literal["uri_folder"] = "uri_folder"


class CommandSections(Strict):
    """Mixed into the spec: what a command trial declares."""

    trial: CommandTrial | None = None
    inputs: Annotated[dict[str, Input], BeforeValidator(_inputs)] = Field(
        default_factory=dict, max_length=100
    )
    outputs: dict[str, Output] = Field(default_factory=dict, max_length=100)
