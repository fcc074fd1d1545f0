"""Reading a submitted document (a spec as YAML or JSON) so that no body can hurt the reader.

Refused, each with a reason a user can act on: nesting deeper than ``MAX_DEPTH`` (a parser's
recursion would otherwise fail), YAML anchors and aliases (a few hundred bytes of aliases
expand to gigabytes), and numbers that are not finite (``.inf``, ``NaN``): no spec field means
them, and they break every comparison downstream.
"""

from __future__ import annotations

import json
import math
from typing import Any

import yaml

from tuner.errors import FieldProblem, SpecError

MAX_DEPTH = 32


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing anchors and aliases, and nesting past MAX_DEPTH."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(
                f"YAML anchors and aliases are not accepted (line {event.start_mark.line + 1}); "
                "write the values out in full"
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels deep; no spec field needs that")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Refused(Exception):
    pass


def load_yaml(text: str | bytes) -> Any:
    """A YAML (or JSON) document as plain data; SpecError names what was refused."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise _problem(
                f"the document is not UTF-8 text (byte {err.start}); save it as UTF-8"
            ) from None
    loader = None
    try:
        loader = _StrictLoader(text)  # its reader already refuses control characters
        data = loader.get_single_data()
    except _Refused as refused:
        raise _problem(str(refused)) from None
    except yaml.YAMLError as err:
        raise _problem(f"not valid YAML or JSON: {err}") from None
    finally:
        if loader is not None:
            loader.dispose()
    check_plain(data)
    return data


def load_json(text: str | bytes) -> Any:
    """A JSON document as plain data; NaN and Infinity tokens and deep nesting are refused."""

    def non_finite(token: str) -> Any:
        raise _Refused(f"{token} is not a number a spec accepts; use a finite value")

    try:
        data = json.loads(text, parse_constant=non_finite)
    except _Refused as refused:
        raise _problem(str(refused)) from None
    except RecursionError:
        raise _problem(
            f"nested more than {MAX_DEPTH} levels deep; no spec field needs that"
        ) from None
    except (ValueError, UnicodeDecodeError) as err:
        raise _problem(f"the body is not valid JSON: {err}") from None
    check_plain(data)
    return data


def check_plain(data: Any, path: str = "", depth: int = 0) -> None:
    """Walks parsed data: nesting within MAX_DEPTH and every number finite (field named)."""
    if depth > MAX_DEPTH:
        raise _problem(f"nested more than {MAX_DEPTH} levels deep; no spec field needs that")
    if isinstance(data, float) and not math.isfinite(data):
        raise SpecError([FieldProblem(path, f"{data} is not a finite number")])
    if isinstance(data, dict):
        for key, value in data.items():
            check_plain(value, f"{path}.{key}" if path else str(key), depth + 1)
    elif isinstance(data, list):
        for position, value in enumerate(data):
            check_plain(value, f"{path}[{position}]", depth + 1)


def _problem(message: str) -> SpecError:
    return SpecError([FieldProblem("", message)])
