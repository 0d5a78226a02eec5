"""The closed condition language of the knowledge base.

A condition is data, never code: ``{all: [...]}``, ``{any: [...]}``, ``{not: cond}`` or a
test on one named fact, ``{fact: NAME, OP: VALUE}`` with OP one of eq, ne, in, lt, lte,
gt, gte, has (a set-valued fact holds the value) or has_any. A missing fact (``None``) makes
every ordered comparison false, so an untested biomarker never satisfies a rule by accident.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

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


Test = Callable[[Mapping[str, Any]], tuple[bool, Trace]]


def evaluate(condition: Mapping[str, Any], facts: Mapping[str, Any]) -> tuple[bool, Trace]:
    """Evaluate a condition; the trace lists the facts (with values) that made it true."""
    return _compiled(condition)(facts)


@kept_by_identity(limit=4096)  # the packaged rules hold a few hundred conditions
def _compiled(condition: Mapping[str, Any]) -> Test:
    """The condition as nested functions, built once per condition: every plan evaluates the same rules,
    and reading the mapping's keys each time costs more than the tests themselves."""
    return _compile(condition)


def _compile(condition: Mapping[str, Any]) -> Test:
    if "all" in condition:
        return _all([_compile(part) for part in condition["all"]])
    if "any" in condition:
        return _any([_compile(part) for part in condition["any"]])
    if "not" in condition:
        return _not(_compile(condition["not"]))
    name = condition["fact"]
    (operator,) = (k for k in condition if k != "fact")
    return _test(name, OPERATORS[operator], condition[operator])


def _all(parts: list[Test]) -> Test:
    def test(facts: Mapping[str, Any]) -> tuple[bool, Trace]:
        trace: Trace = []
        for part in parts:
            ok, sub = part(facts)
            if not ok:
                return False, []
            trace += sub
        return True, trace

    return test


def _any(parts: list[Test]) -> Test:
    def test(facts: Mapping[str, Any]) -> tuple[bool, Trace]:
        for part in parts:
            ok, sub = part(facts)
            if ok:
                return True, sub
        return False, []

    return test


def _not(part: Test) -> Test:
    def test(facts: Mapping[str, Any]) -> tuple[bool, Trace]:
        return not part(facts)[0], []

    return test


def _test(name: str, operator: Callable[[Any, Any], bool], reference: Any) -> Test:
    def test(facts: Mapping[str, Any]) -> tuple[bool, Trace]:
        value = facts[name]
        ok = operator(value, reference)
        return ok, ([(name, value)] if ok else [])

    return test


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
