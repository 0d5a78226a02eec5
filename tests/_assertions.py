"""Invariants every plan must satisfy, shared by example-based and property-based tests."""

from __future__ import annotations

from mbctwin.case.derived import Derived
from mbctwin.case.models import Case
from mbctwin.case.vocabulary import vocabulary
from mbctwin.engine.contract import Plan

ANTI_HER2_DRUGS = {d for c in vocabulary().groups["anti_her2"] for d in vocabulary().classes[c]}


def drugs_in_systemic(plan: Plan) -> set[str]:
    return {d for option in plan.systemic for d in option.drugs}


def classes_in_systemic(plan: Plan) -> set[str]:
    return {c for option in plan.systemic for c in vocabulary().classes_of(option.drugs)}


def assert_plan_invariants(case: Case, plan: Plan) -> None:
    """The contract's safety rules (case-and-plan.md §2)."""
    vocab = vocabulary()
    derived = Derived.of(case)
    assert plan.systemic or any("best_supportive_care" in s.classes for s in plan.supportive)
    assert [o.rank for o in plan.systemic] == list(range(1, len(plan.systemic) + 1))
    for option in plan.systemic:
        assert option.evidence, f"{option.regimen} cites no source"
        assert set(option.drugs) <= set(vocab.drugs)
        if derived.her2_category != "positive":
            allowed = {"trastuzumab_deruxtecan"} if derived.her2_category in ("low", "ultralow") else set()
            offered = set(option.drugs) & ANTI_HER2_DRUGS - allowed
            assert not offered, f"anti-HER2 therapy {offered} offered with HER2 {derived.her2_category}"
        failed = set(derived.failed_drugs) - {"trastuzumab"}
        assert not set(option.drugs) & failed, f"failed drug offered: {set(option.drugs) & failed}"
    blocked = {d for entry in plan.not_recommended for d in entry.drugs}
    assert not drugs_in_systemic(plan) & blocked
    assert plan.disclaimer
    assert plan.explanation
