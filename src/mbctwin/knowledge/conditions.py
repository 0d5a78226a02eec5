"""The closed condition language of the knowledge base.

A condition is data, never code: ``{all: [...]}``, ``{any: [...]}``, ``{not: cond}`` or a
test on one named fact, ``{fact: NAME, OP: VALUE}`` with OP one of eq, ne, in, lt, lte,
gt, gte, has (a set-valued fact holds the value) or has_any. A missing fact (``None``) makes
every ordered comparison false, so an untested biomarker never satisfies a rule by accident.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from mbctwin.knowledge.kept import kept_by_identity

Trace = list[tuple[str, Any]]


def _ordered(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda value, ref: value is not None and not isinstance(value, bool) and test(value, ref)


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda value, ref: value == ref,
    "ne": lambda value, ref: value != ref,
    "in": lambda value, ref: value in ref,
    "lt": _ordered(lambda value, ref: value < ref),
    "lte": _ordered(lambda value, ref: value <= ref),
    "gt": _ordered(lambda value, ref: value > ref),
    "gte": _ordered(lambda value, ref: value >= ref),
    "has": lambda value, ref: value is not None and ref in value,
    "has_any": lambda value, ref: value is not None and bool(set(ref) & set(value)),
}
COMBINATORS = ("all", "any", "not")
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


Facts = Mapping[str, Any]
Holds = Callable[[Facts], bool]


@dataclass(frozen=True)
class Compiled:
    """A condition as two functions: ``holds`` answers whether it is true, ``trace`` lists the facts
    that made it true (called only when it holds). Most conditions of a plan are false and most
    callers want no trace, so the test itself builds no lists."""

    holds: Holds
    trace: Callable[[Facts], Trace]


def evaluate(condition: Mapping[str, Any], facts: Facts) -> tuple[bool, Trace]:
    """Evaluate a condition; the trace lists the facts (with values) that made it true."""
    compiled = _compiled(condition)
    if not compiled.holds(facts):
        return False, []
    return True, compiled.trace(facts)


def holds(condition: Mapping[str, Any], facts: Facts) -> bool:
    """Whether a condition is true, for callers that do not report why."""
    return bool(_compiled(condition).holds(facts))


class Ruled(Protocol):
    """Anything with a condition: the knowledge base's rules."""

    @property
    def when(self) -> Mapping[str, Any]: ...


R = TypeVar("R", bound=Ruled)


def holding(rules: Sequence[R], facts: Facts) -> list[R]:
    """The rules whose condition holds, in their order."""
    return [rule for rule, test in zip(rules, _tests(rules), strict=True) if test.holds(facts)]


def traced(rules: Sequence[R], facts: Facts) -> list[tuple[int, R, Trace]]:
    """The rules whose condition holds, each with its position and the facts that made it hold."""
    return [
        (i, rule, test.trace(facts))
        for i, (rule, test) in enumerate(zip(rules, _tests(rules), strict=True))
        if test.holds(facts)
    ]


@kept_by_identity(limit=256)  # a knowledge base has about ten rule lists
def _tests(rules: Sequence[Ruled]) -> tuple[Compiled, ...]:
    """Each rule's compiled condition, kept for the whole list: a plan walks every list of the knowledge
    base (about a hundred rules), and one lookup per list costs less than one per rule."""
    return tuple(_compiled(rule.when) for rule in rules)


@kept_by_identity(limit=4096)  # the packaged rules hold a few hundred conditions
def _compiled(condition: Mapping[str, Any]) -> Compiled:
    """The condition as nested functions, built once per condition: every plan evaluates the same rules,
    and reading the mapping's keys each time costs more than the tests themselves."""
    return _compile(condition)


def _compile(condition: Mapping[str, Any]) -> Compiled:
    if "all" in condition:
        return _all([_compile(part) for part in condition["all"]])
    if "any" in condition:
        return _any([_compile(part) for part in condition["any"]])
    if "not" in condition:
        part = _compile(condition["not"]).holds
        return Compiled(lambda facts: not part(facts), _no_trace)
    name = condition["fact"]
    (op,) = (k for k in condition if k != "fact")
    return Compiled(_leaf(name, op, condition[op]), lambda facts: [(name, facts[name])])


def _no_trace(facts: Facts) -> Trace:
    return []


def _all(parts: list[Compiled]) -> Compiled:
    tests = tuple(part.holds for part in parts)
    traces = tuple(part.trace for part in parts)

    def test(facts: Facts) -> bool:  # a loop, not all(generator): no generator made per test
        for part in tests:  # noqa: SIM110
            if not part(facts):
                return False
        return True

    def trace(facts: Facts) -> Trace:
        return [item for part in traces for item in part(facts)]

    return Compiled(test, trace)


def _any(parts: list[Compiled]) -> Compiled:
    tests = tuple(part.holds for part in parts)

    def test(facts: Facts) -> bool:  # a loop, not any(generator): no generator made per test
        for part in tests:  # noqa: SIM110
            if part(facts):
                return True
        return False

    def trace(facts: Facts) -> Trace:
        return next(part.trace(facts) for part in parts if part.holds(facts))

    return Compiled(test, trace)


def _leaf(name: str, op: str, reference: Any) -> Holds:
    """One test on one fact, written out per operator: the meaning of ``OPERATORS[op]``, without a
    second call through the table on every test."""
    if op == "eq":
        return lambda facts: facts[name] == reference
    if op == "ne":
        return lambda facts: facts[name] != reference
    if op == "in":
        return lambda facts: facts[name] in reference
    if op == "has":
        return lambda facts: (value := facts[name]) is not None and reference in value
    if op == "has_any":
        wanted = frozenset(reference)
        return lambda facts: (value := facts[name]) is not None and not wanted.isdisjoint(value)
    compare = _ORDER[op]
    return lambda facts: (
        (value := facts[name]) is not None and not isinstance(value, bool) and compare(value, reference)
    )


def leaves(condition: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every ``{fact: ..., OP: ...}`` test inside a condition."""
    for key in ("all", "any"):
        for part in condition.get(key, ()):
            yield from leaves(part)
    if "not" in condition:
        yield from leaves(condition["not"])
    if "fact" in condition:
        yield condition


def fact_names(condition: Mapping[str, Any]) -> Iterator[str]:
    """Every fact a condition reads, for validation by the loader."""
    return (leaf["fact"] for leaf in leaves(condition))


def check_shape(condition: Any) -> str | None:
    """Return a message when a condition is not of the closed form, else ``None``."""
    if not isinstance(condition, dict) or not condition:
        return "a condition must be a non-empty mapping"
    keys = set(condition)
    if keys & set(COMBINATORS):
        if len(keys) != 1:
            return f"combine with exactly one of {COMBINATORS}, got {sorted(keys)}"
        (key,) = keys
        parts = [condition["not"]] if key == "not" else condition[key]
        if not isinstance(parts, list) or not parts:
            return f"'{key}' needs a non-empty list" if key != "not" else "'not' needs a condition"
        return next((msg for msg in map(check_shape, parts) if msg), None)
    operators = keys - {"fact"}
    if "fact" not in keys or len(operators) != 1 or not operators <= set(OPERATORS):
        return f"a test is {{fact: NAME, OP: VALUE}} with OP in {sorted(OPERATORS)}, got {sorted(keys)}"
    return None
