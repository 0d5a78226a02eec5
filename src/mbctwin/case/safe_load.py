"""JSON and YAML from untrusted hands, with bounds a case or a FHIR Bundle never needs to cross.

A 349-byte YAML alias bomb expands to gigabytes once something walks the result (validation,
re-rendering a form), and nesting a few thousand levels deep makes recursive code raise
``RecursionError``. So before anything is built, YAML is read as a stream of events (libyaml when
available) and refused when it nests deeper than :data:`MAX_DEPTH`, holds more than
:data:`MAX_ALIASES` aliases, or would expand to more than :data:`MAX_NODES` values; JSON is parsed by
the C decoder and then walked iteratively with the same depth and size bounds. Every refusal is a
:class:`~mbctwin.errors.CaseError` on ``file`` (or the location given), so callers answer with a 4xx
that names the problem.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from mbctwin.errors import CaseError, FieldProblem

MAX_DEPTH = 40  # a case nests 4 levels, a FHIR Bundle about 12; extensions may nest a little more
MAX_NODES = 200_000  # values after alias expansion; a 1 MB JSON body holds fewer
MAX_ALIASES = 16  # hand-written case files rarely use any

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _refuse(where: str, message: str) -> CaseError:
    return CaseError([FieldProblem(where, message)])


class _Budget:
    """Counts values and nesting while a document is read; raises as soon as a bound is crossed."""

    def __init__(self, where: str):
        self.where = where
        self.nodes = 0

    def add(self, count: int = 1) -> None:
        self.nodes += count
        if self.nodes > MAX_NODES:
            raise _refuse(self.where, f"more than {MAX_NODES} values (after expanding aliases): refused")

    def depth(self, level: int) -> None:
        if level > MAX_DEPTH:
            raise _refuse(self.where, f"nested deeper than {MAX_DEPTH} levels: refused")


def _check_yaml_events(text: str, where: str) -> None:
    """Depth, alias and expanded-size bounds from the event stream, before any object is built."""
    budget = _Budget(where)
    anchors: dict[str, int] = {}
    open_nodes: list[tuple[str | None, int]] = []
    aliases = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _refuse(where, f"more than {MAX_ALIASES} YAML aliases: refused")
            budget.add(anchors.get(str(event.anchor), 1))
        elif isinstance(event, _OPEN):
            budget.add()
            open_nodes.append((event.anchor, budget.nodes))
            budget.depth(len(open_nodes))
        elif isinstance(event, _CLOSE):
            anchor, start = open_nodes.pop()
            if anchor:
                anchors[anchor] = budget.nodes - start + 1
        elif isinstance(event, yaml.ScalarEvent):
            budget.add()
            if event.anchor:
                anchors[event.anchor] = 1


def load_yaml(text: str, *, where: str = "file") -> Any:
    """YAML with safe types only (no Python objects), bounded in depth, aliases and size."""
    try:
        _check_yaml_events(text, where)
        return yaml.load(text, Loader=_Loader)  # a safe loader (no Python objects), bounds checked above
    except yaml.YAMLError as error:
        raise _refuse(where, f"not valid YAML: {error}") from None


def check_shape(data: Any, *, where: str = "file") -> Any:
    """Walk parsed data without recursion and refuse it when it is too deep or too large."""
    budget = _Budget(where)
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, level = stack.pop()
        budget.add()
        if isinstance(value, dict):
            budget.depth(level)
            stack.extend((v, level + 1) for v in value.values())
        elif isinstance(value, list):
            budget.depth(level)
            stack.extend((v, level + 1) for v in value)
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json(text: str | bytes, *, where: str = "file") -> Any:
    """JSON (no NaN or Infinity), bounded in depth and size."""
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise _refuse(where, f"nested deeper than {MAX_DEPTH} levels: refused") from None
    except UnicodeDecodeError:
        raise _refuse(where, "not UTF-8 text") from None
    except ValueError as error:  # JSONDecodeError is a ValueError, and so is _no_constant's
        raise _refuse(where, f"not valid JSON: {error}") from None
    return check_shape(data, where=where)
