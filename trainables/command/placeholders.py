"""A command line's placeholders (Azure ML v2's ``${{search_space.x}}``, ``${{inputs.x}}`` and
``${{outputs.x}}``): found, checked and substituted inside each shell-split token, so that a
value with spaces or quotes stays one argument and nothing can be injected."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
REFERENCE = re.compile(r"^(search_space|inputs|outputs)\.([A-Za-z_][A-Za-z0-9_]*)$")
KINDS = ("search_space", "inputs", "outputs")


@dataclass(frozen=True)
class Reference:
    kind: str  # search_space, inputs or outputs
    name: str

    def __str__(self) -> str:
        return f"${{{{{self.kind}.{self.name}}}}}"


def split_command(command: str) -> list[str]:
    """The command's arguments by POSIX shell rules; ValueError for unbalanced quotes."""
    tokens = shlex.split(command, comments=False, posix=True)
    if not tokens:
        raise ValueError("the command is empty")
    return tokens


def references(command: str) -> tuple[list[Reference], list[str]]:
    """The placeholders a command uses, and the ones that are not of a known kind."""
    found: list[Reference] = []
    unknown: list[str] = []
    for match in PLACEHOLDER.finditer(command):
        reference = REFERENCE.match(match.group(1))
        if reference is None:
            unknown.append(match.group(0))
        else:
            found.append(Reference(reference.group(1), reference.group(2)))
    return found, unknown


def command_problems(
    command: str,
    space: Mapping[str, object],
    inputs: Mapping[str, object],
    outputs: Mapping[str, object],
    fixed: Mapping[str, object],
) -> list[tuple[str, str]]:
    """What is wrong with a command given its spec, each problem naming its field."""
    try:
        split_command(command)
    except ValueError as err:
        return [("trial.command", f"cannot be split by shell rules: {err}")]
    found, unknown = references(command)
    problems = [
        (
            "trial.command",
            f"unknown placeholder {text}; use ${{{{search_space.NAME}}}}, "
            "${{inputs.NAME}} or ${{outputs.NAME}}",
        )
        for text in unknown
    ]
    declared = {"search_space": {**space, **fixed}, "inputs": inputs, "outputs": outputs}
    for reference in found:
        if reference.name not in declared[reference.kind]:
            have = ", ".join(declared[reference.kind]) or "none"
            problems.append(
                (
                    "trial.command",
                    f"{reference} names no {reference.kind} entry; declared: {have}",
                )
            )
    used = {r.name for r in found if r.kind == "search_space"}
    for name in space:
        if name not in used:
            problems.append(
                (
                    f"search_space.{name}",
                    f"the command never uses it; add ${{{{search_space.{name}}}}} to "
                    "trial.command (or drop it from the space)",
                )
            )
    return problems


def render(value: object) -> str:
    """A value as one argument: numbers as Python writes them, true/false for booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def substitute(command: str, values: Mapping[str, Mapping[str, object]]) -> list[str]:
    """The argument vector: the command split first, then each placeholder replaced inside its
    token (``values[kind][name]``). KeyError names a placeholder without a value."""

    def replace(match: re.Match[str]) -> str:
        reference = REFERENCE.match(match.group(1))
        if reference is None:
            raise KeyError(match.group(0))
        kind, name = reference.groups()
        if name not in values.get(kind, {}):
            raise KeyError(match.group(0))
        return render(values[kind][name])

    return [PLACEHOLDER.sub(replace, token) for token in split_command(command)]
