"""Property-based tests: for any valid case the engine keeps the contract's safety rules."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings

from mbctwin.case.io import parse_case
from mbctwin.engine.contract import Plan
from mbctwin.engine.plan import build_plan
from tests._assertions import assert_plan_invariants
from tests.strategies import cases

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(cases())
def test_random_valid_cases_give_safe_plans(data: dict) -> None:
    case = parse_case(data)
    plan = build_plan(case)
    assert_plan_invariants(case, plan)


@SETTINGS
@given(cases())
def test_plans_round_trip_through_json(data: dict) -> None:
    plan = build_plan(parse_case(data))
    text = json.dumps(plan.model_dump(mode="json"), sort_keys=True)
    assert Plan.model_validate_json(text) == plan
