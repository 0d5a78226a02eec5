"""Property-based tests: for any valid case the engine keeps the contract's safety rules."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings

from mbctwin.case.io import parse_case
from mbctwin.case.vocabulary import vocabulary
from mbctwin.engine.contract import Plan
from mbctwin.engine.plan import build_plan
from tests._assertions import assert_guidelines_postdate_no_drug, assert_plan_invariants
from tests.strategies import cases

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(cases())
def test_random_valid_cases_give_safe_plans(data: dict) -> None:
    case = parse_case(data)
    plan = build_plan(case)
    assert_plan_invariants(case, plan)
    assert_guidelines_postdate_no_drug(plan)


@SETTINGS
@given(cases())
def test_plans_round_trip_through_json(data: dict) -> None:
    plan = build_plan(parse_case(data))
    text = json.dumps(plan.model_dump(mode="json"), sort_keys=True)
    assert Plan.model_validate_json(text) == plan


@SETTINGS
@given(cases())
def test_no_option_holds_a_drug_the_pregnancy_state_forbids(data: dict) -> None:
    """Pregnancy (contract §2): nothing whose label or the ESMO consensus forbids it in pregnancy, no
    anticancer drug at all in the first trimester, no bone-modifying agent in supportive care."""
    case = parse_case(data)
    plan = build_plan(case)
    vocab = vocabulary()
    if case.pregnancy != "pregnant":
        return
    assert "pregnancy" in {u.code for u in plan.urgent}
    forbidden = vocab.drugs_where("pregnancy", ["contraindicated", "no_data"])
    given = {d for o in plan.systemic for d in o.drugs} | {d for s in plan.supportive for d in s.drugs}
    assert not given & forbidden
    if case.gestational_weeks is not None and case.gestational_weeks <= 13:
        assert plan.systemic == []


@SETTINGS
@given(cases())
def test_no_option_holds_a_drug_whose_mechanism_a_comorbidity_or_preference_forbids(data: dict) -> None:
    case = parse_case(data)
    plan = build_plan(case)
    vocab = vocabulary()
    offered = {d for o in plan.systemic for d in o.drugs}
    barred: set[str] = set()
    if "interstitial_lung_disease" in case.comorbidities:
        barred |= vocab.drugs_where("ild_risk", ["high"])
    if "active_autoimmune_disease" in case.comorbidities:
        barred |= vocab.drugs_where("immune_mediated", [True])
    if case.preferences.declines_chemotherapy:
        barred |= vocab.drugs_where("cytotoxic", [True])
    assert not offered & barred


AFTER_CDK46_CHEMOTHERAPY = {"capecitabine", "paclitaxel", "nab_paclitaxel", "eribulin", "vinorelbine"}


@SETTINGS
@given(cases())
def test_after_a_cdk46_inhibitor_hr_positive_plans_hold_a_chemotherapy_option(data: dict) -> None:
    """Contract (issue 16 item 8): HR+/HER2- after CDK4/6 always includes chemotherapy or a cytotoxic ADC,
    unless each candidate is barred for this patient (and then it says so in not_recommended)."""
    case = parse_case(data)
    plan = build_plan(case)
    exposed = {d for p in case.prior_therapies for d in p.drugs} & vocabulary().members("cdk4_6_inhibitor")
    applies = plan.subtype == "HR+/HER2-" and plan.line >= 2 and exposed and case.ecog <= 3
    if not applies or not plan.systemic or any(r.factor == "er_low" for r in plan.rationale):
        return
    cytotoxic = vocabulary().drugs_where("cytotoxic", [True])
    barred = {d for n in plan.not_recommended for d in n.drugs}
    assert any(set(o.drugs) & cytotoxic for o in plan.systemic) or barred >= AFTER_CDK46_CHEMOTHERAPY
