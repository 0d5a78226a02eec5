"""The closed condition language: operators, combinators, missing facts, traces, shape checks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mbctwin.knowledge.conditions import OPERATORS, check_shape, evaluate, fact_names, holding, holds, traced

FACTS = {"line": 2, "ecog": 1, "pik3ca": None, "failed": frozenset({"letrozole"}), "subtype": "HR+/HER2-"}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"fact": "line", "eq": 2}, True),
        ({"fact": "line", "ne": 2}, False),
        ({"fact": "line", "in": [1, 2]}, True),
        ({"fact": "line", "lt": 2}, False),
        ({"fact": "line", "lte": 2}, True),
        ({"fact": "line", "gt": 1}, True),
        ({"fact": "line", "gte": 3}, False),
        ({"fact": "failed", "has": "letrozole"}, True),
        ({"fact": "failed", "has_any": ["x", "letrozole"]}, True),
        ({"fact": "failed", "has_any": ["x"]}, False),
        ({"fact": "pik3ca", "eq": None}, True),
        ({"fact": "pik3ca", "lt": 5}, False),
        ({"fact": "pik3ca", "gte": 0}, False),
        ({"fact": "pik3ca", "has": "x"}, False),
        ({"not": {"fact": "pik3ca", "eq": "mutated"}}, True),
        ({"all": [{"fact": "line", "eq": 2}, {"fact": "ecog", "lte": 1}]}, True),
        ({"all": [{"fact": "line", "eq": 2}, {"fact": "ecog", "lte": 0}]}, False),
        ({"any": [{"fact": "line", "eq": 9}, {"fact": "ecog", "lte": 1}]}, True),
    ],
)
def test_operators(condition: dict, expected: bool) -> None:
    assert check_shape(condition) is None
    assert evaluate(condition, FACTS)[0] is expected


def test_trace_lists_the_facts_that_made_it_true() -> None:
    ok, trace = evaluate(
        {
            "all": [
                {"fact": "line", "gte": 2},
                {"any": [{"fact": "ecog", "eq": 4}, {"fact": "subtype", "eq": "HR+/HER2-"}]},
            ]
        },
        FACTS,
    )
    assert ok
    assert trace == [("line", 2), ("subtype", "HR+/HER2-")]


def test_booleans_are_not_ordered_numbers() -> None:
    assert evaluate({"fact": "flag", "gte": 0}, {"flag": True})[0] is False


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"all": []},
        {"all": [{"fact": "a", "eq": 1}], "any": []},
        {"fact": "a"},
        {"fact": "a", "eq": 1, "lt": 2},
        {"fact": "a", "matches": ".*"},
        {"eq": 1},
        "line > 2",
        {"not": {}},
    ],
)
def test_malformed_conditions_are_described(bad: object) -> None:
    assert check_shape(bad) is not None


def test_fact_names_walks_every_branch() -> None:
    condition = {"all": [{"fact": "a", "eq": 1}, {"not": {"fact": "b", "eq": 2}}, {"any": [{"fact": "c", "eq": 3}]}]}
    assert sorted(fact_names(condition)) == ["a", "b", "c"]


@given(st.integers(-5, 5), st.integers(-5, 5))
def test_not_is_the_complement_for_present_facts(value: int, ref: int) -> None:
    for op in ("eq", "lt", "lte", "gt", "gte"):
        condition = {"fact": "x", op: ref}
        assert evaluate({"not": condition}, {"x": value})[0] is not evaluate(condition, {"x": value})[0]


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.floats(-2, 2),
    st.sampled_from(["a", "b"]),
    st.frozensets(st.sampled_from(["a", "b", "c"])),
)
REFERENCES = {
    "eq": VALUES,
    "ne": VALUES,
    "in": st.lists(st.one_of(st.none(), st.integers(-2, 2), st.sampled_from(["a", "b"])), max_size=3),
    "lt": st.integers(-2, 2),
    "lte": st.floats(-2, 2),
    "gt": st.integers(-2, 2),
    "gte": st.integers(-2, 2),
    "has": st.sampled_from(["a", "b", "c"]),
    "has_any": st.lists(st.sampled_from(["a", "b", "c"]), max_size=3),
}


@given(data=st.data(), op=st.sampled_from(sorted(OPERATORS)))
def test_compiled_tests_mean_what_the_operator_table_says(data: st.DataObject, op: str) -> None:
    """Each operator is written out for speed; it must agree with ``OPERATORS`` (or fail the same way)."""
    value, reference = data.draw(VALUES), data.draw(REFERENCES[op])
    try:
        expected: object = bool(OPERATORS[op](value, reference))
    except TypeError:
        expected = TypeError
    try:
        found: object = holds({"fact": "x", op: reference}, {"x": value})
    except TypeError:
        found = TypeError
    assert found == expected


def test_holds_and_evaluate_agree_on_nested_conditions() -> None:
    condition = {
        "any": [
            {"not": {"fact": "line", "eq": 2}},
            {"all": [{"fact": "ecog", "lt": 2}, {"fact": "pik3ca", "eq": None}]},
        ]
    }
    assert holds(condition, FACTS) is True
    assert evaluate(condition, FACTS) == (True, [("ecog", 1), ("pik3ca", None)])


def test_holding_and_traced_keep_the_rules_that_hold_in_order() -> None:
    class Rule:
        def __init__(self, name: str, when: dict) -> None:
            self.name, self.when = name, when

    rules = [
        Rule("a", {"fact": "line", "eq": 2}),
        Rule("b", {"fact": "line", "eq": 3}),
        Rule("c", {"any": [{"fact": "ecog", "eq": 4}, {"fact": "subtype", "eq": "HR+/HER2-"}]}),
    ]
    assert [r.name for r in holding(rules, FACTS)] == ["a", "c"]
    assert [(i, r.name, trace) for i, r, trace in traced(rules, FACTS)] == [
        (0, "a", [("line", 2)]),
        (2, "c", [("subtype", "HR+/HER2-")]),
    ]
