"""Invariants every plan must satisfy, shared by example-based and property-based tests."""

from __future__ import annotations

from mbctwin.case.derived import Derived
from mbctwin.case.models import Case
from mbctwin.case.vocabulary import vocabulary
from mbctwin.engine.contract import Plan
from mbctwin.knowledge.loader import load_kb
from mbctwin.knowledge.schema import LabRange

LAB_NAMES = {
    "bilirubin_x_uln": "bilirubin",
    "alt_x_uln": "ALT",
    "creatinine_clearance_ml_min": "creatinine clearance",
    "neutrophils_10e9_l": "neutrophils",
    "lvef_percent": "LVEF",
    "hba1c_percent": "HbA1c",
    "age": "age",
}
ANTI_HER2_DRUGS = {d for c in vocabulary().groups["anti_her2"] for d in vocabulary().classes[c]}


def drugs_in_systemic(plan: Plan) -> set[str]:
    return {d for option in plan.systemic for d in option.drugs}


def classes_in_systemic(plan: Plan) -> set[str]:
    return {c for option in plan.systemic for c in vocabulary().classes_of(option.drugs)}


def assert_guidelines_postdate_no_drug(plan: Plan) -> None:
    """No option cites a guideline older than the first trial evidence of one of its drugs (contract §2)."""
    kb = load_kb()
    for option in plan.systemic:
        for item in option.evidence:
            source = kb.sources[item.source_id]
            if source.kind != "guideline" or source.year is None:
                continue
            for drug in option.drugs:
                trials = [
                    s.first_year
                    for s in kb.sources.values()
                    if s.kind in ("trial", "meta_analysis", "study") and s.first_year is not None
                    for e in s.effects
                    if drug in {*e.experimental.drugs, *(d for p in e.experimental.partner_choice for d in p)}
                ]
                if trials:
                    assert source.year >= min(trials), f"{source.id} ({source.year}) cited for {drug} ({min(trials)})"


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
            # the drug's own attribute says which HER2 expression it needs (not its name)
            low = derived.her2_category in ("low", "ultralow")
            allowed = vocab.drugs_where("her2_target", ["any_expression"]) if low else frozenset()
            offered = set(option.drugs) & ANTI_HER2_DRUGS - allowed
            assert not offered, f"anti-HER2 therapy {offered} offered with HER2 {derived.her2_category}"
        failed = set(derived.failed_drugs) - {"trastuzumab"}
        assert not set(option.drugs) & failed, f"failed drug offered: {set(option.drugs) & failed}"
    blocked = {d for entry in plan.not_recommended for d in entry.drugs}
    assert not drugs_in_systemic(plan) & blocked
    assert_dosing_invariants(case, plan)
    assert plan.disclaimer
    assert plan.explanation


def _in_band(band: LabRange, value: float | None) -> bool:
    """The band written out with plain comparisons (not the engine's code)."""
    if value is None:
        return False
    checks = [(band.gt, value > (band.gt or 0)), (band.gte, value >= (band.gte or 0))]
    checks += [(band.lt, value < (band.lt or 0)), (band.lte, value <= (band.lte or 0))]
    return all(ok for bound, ok in checks if bound is not None)


def label_forbidden(case: Case) -> set[str]:
    """Drugs whose label data says avoid at this case's labs."""
    labs = {**case.labs.model_dump(), "age": case.age}
    return {
        label.drug
        for label in load_kb().dosing.labels.values()
        for adjustment in label.adjustments
        if adjustment.action == "avoid" and all(_in_band(b, labs[b.lab]) for b in adjustment.when)
    }


def assert_dosing_invariants(case: Case, plan: Plan) -> None:
    """Every option doses each of its drugs; no drug its label forbids; adjustments name lab and value."""
    forbidden = label_forbidden(case)
    labs = {**case.labs.model_dump(), "age": case.age}
    for option in plan.systemic:
        assert [d.drug for d in option.dosing] == option.drugs, f"{option.regimen}: dosing does not match drugs"
        assert not set(option.drugs) & forbidden, f"{option.regimen} holds {set(option.drugs) & forbidden}"
        for entry in option.dosing:
            assert entry.dose
            assert entry.schedule
            if entry.adjustment is not None:
                named = [f"{LAB_NAMES[lab]} {value:g}" for lab, value in labs.items() if value is not None]
                assert any(text in entry.adjustment for text in named), entry.adjustment
