"""Doses in the plan and label adjustments at the label's own thresholds."""

from __future__ import annotations

import pytest

from mbctwin.case.derived import Derived
from mbctwin.engine.contract import Dosing, Plan
from mbctwin.engine.dosing import lab_findings
from mbctwin.engine.facts import case_facts
from mbctwin.knowledge.loader import KnowledgeBase
from tests.conftest import case_with, plan_for

TRIPLE_NEGATIVE = {"tumor": {"er": "negative", "er_percent": 0, "pr": "negative", "her2_ihc": "0"}}
HER2_POSITIVE = {"tumor": {"er": "negative", "er_percent": 0, "pr": "negative", "her2_ihc": "3+"}}


def _actions(kb: KnowledgeBase, drug: str, **labs: float) -> list[tuple[str, float | None]]:
    """(action, dose) of every label adjustment of ``drug`` that these labs trigger."""
    case = case_with(labs=labs)
    found = lab_findings(kb, case_facts(case, Derived.of(case))).get(drug, [])
    return [(f.adjustment.action, f.adjustment.dose_percent or f.adjustment.dose_amount) for f in found]


def _dosing(plan: Plan, drug: str) -> list[Dosing]:
    return [d for option in plan.systemic for d in option.dosing if d.drug == drug]


def _not_recommended(plan: Plan, drug: str) -> str:
    return next(n.why for n in plan.not_recommended if drug in n.drugs)


@pytest.mark.parametrize(
    ("drug", "labs", "expected"),
    [
        ("docetaxel", {"bilirubin_x_uln": 1.0}, []),
        ("docetaxel", {"bilirubin_x_uln": 1.01}, [("avoid", None)]),
        ("docetaxel", {"alt_x_uln": 1.5}, []),
        ("docetaxel", {"alt_x_uln": 1.6}, [("avoid", None)]),
        ("capecitabine", {"creatinine_clearance_ml_min": 51}, []),
        ("capecitabine", {"creatinine_clearance_ml_min": 50}, [("reduce", 75)]),
        ("capecitabine", {"creatinine_clearance_ml_min": 30}, [("reduce", 75)]),
        ("capecitabine", {"creatinine_clearance_ml_min": 29.9}, [("avoid", None)]),
        ("nab_paclitaxel", {"bilirubin_x_uln": 1.25}, []),
        ("nab_paclitaxel", {"bilirubin_x_uln": 1.26}, [("reduce", 77)]),
        ("nab_paclitaxel", {"bilirubin_x_uln": 2.01}, [("reduce", 50)]),
        ("nab_paclitaxel", {"bilirubin_x_uln": 5.0}, [("reduce", 50)]),
        ("nab_paclitaxel", {"bilirubin_x_uln": 5.1}, [("avoid", None)]),
        ("paclitaxel", {"neutrophils_10e9_l": 1.5}, []),
        ("paclitaxel", {"neutrophils_10e9_l": 1.4}, [("avoid", None)]),
        ("doxorubicin", {"bilirubin_x_uln": 2.5}, [("reduce", 50)]),
        ("doxorubicin", {"bilirubin_x_uln": 4.5}, [("avoid", None)]),
        ("trastuzumab_emtansine", {"bilirubin_x_uln": 1.5}, []),
        ("trastuzumab_emtansine", {"bilirubin_x_uln": 1.6}, [("delay", None)]),
        ("eribulin", {"creatinine_clearance_ml_min": 49}, [("reduce", 1.1)]),
        ("eribulin", {"creatinine_clearance_ml_min": 50}, []),
        ("eribulin", {"neutrophils_10e9_l": 0.9}, [("delay", None)]),
        ("talazoparib", {"creatinine_clearance_ml_min": 59}, [("reduce", 0.75)]),
        ("talazoparib", {"creatinine_clearance_ml_min": 29}, [("reduce", 0.5)]),
        ("olaparib", {"creatinine_clearance_ml_min": 51}, []),
        ("olaparib", {"creatinine_clearance_ml_min": 31}, [("reduce", 200)]),
        ("zoledronic_acid", {"creatinine_clearance_ml_min": 29}, [("avoid", None)]),
    ],
)
def test_label_thresholds(kb: KnowledgeBase, drug: str, labs: dict[str, float], expected: list) -> None:
    assert _actions(kb, drug, **labs) == expected


def test_missing_labs_trigger_nothing(kb: KnowledgeBase) -> None:
    case = case_with()
    assert lab_findings(kb, case_facts(case, Derived.of(case))) == {}


def test_bilirubin_3_2_changes_every_hepatically_cleared_chemotherapy() -> None:
    """Issue #16: at bilirubin 3.2 x ULN no taxane, capecitabine or doxorubicin stays as it was."""
    plan = plan_for(labs={"bilirubin_x_uln": 3.2}, **TRIPLE_NEGATIVE)
    offered = {d for option in plan.systemic for d in option.drugs}
    for drug in ("docetaxel", "capecitabine"):
        assert drug not in offered
        assert "bilirubin 3.2" in _not_recommended(plan, drug)
    for entry in _dosing(plan, "doxorubicin"):
        assert "bilirubin 3.2" in (entry.adjustment or "")
        assert "25 % dose" in (entry.adjustment or "")
    for drug in ("paclitaxel", "nab_paclitaxel"):
        for entry in _dosing(plan, drug):
            assert "bilirubin 3.2" in (entry.adjustment or "")
    assert _dosing(plan, "doxorubicin") or _dosing(plan, "paclitaxel") or _dosing(plan, "nab_paclitaxel")


def test_reduced_dose_is_computed_from_the_regimen_schedule() -> None:
    """Weekly paclitaxel at 57 % is 45.6 mg/m2, the 3-weekly schedule would be 99.75: the regimen's dose counts."""
    plan = plan_for(labs={"bilirubin_x_uln": 2.5}, **TRIPLE_NEGATIVE)
    weekly = [d for o in plan.systemic if o.rule and o.drugs == ["paclitaxel"] for d in o.dosing]
    assert weekly, [o.regimen for o in plan.systemic]
    assert (weekly[0].dose, weekly[0].schedule) == ("80 mg/m² IV", "weekly")
    assert "57 % dose (45.6 mg/m²)" in (weekly[0].adjustment or "")


def test_renal_impairment_reduces_capecitabine_and_forbids_it_below_30() -> None:
    moderate = plan_for(labs={"creatinine_clearance_ml_min": 40}, **TRIPLE_NEGATIVE)
    entries = _dosing(moderate, "capecitabine")
    assert entries
    assert all("creatinine clearance 40" in (e.adjustment or "") for e in entries)
    assert all("75 % dose (937.5 mg/m²)" in (e.adjustment or "") for e in entries)
    severe = plan_for(labs={"creatinine_clearance_ml_min": 25}, **TRIPLE_NEGATIVE)
    assert not _dosing(severe, "capecitabine")
    assert "creatinine clearance 25" in _not_recommended(severe, "capecitabine")


def test_low_lvef_removes_every_combination_holding_a_her2_antibody() -> None:
    plan = plan_for(labs={"lvef_percent": 40}, **HER2_POSITIVE)
    for option in plan.systemic:
        assert not {"trastuzumab", "pertuzumab", "trastuzumab_deruxtecan", "trastuzumab_emtansine"} & set(option.drugs)
    assert "LVEF 40" in _not_recommended(plan, "trastuzumab")


def test_loading_doses_and_regimen_specific_schedules_are_rendered() -> None:
    plan = plan_for(**HER2_POSITIVE)
    first = plan.systemic[0]
    assert first.drugs == ["pertuzumab", "trastuzumab", "docetaxel"]
    by_drug = {d.drug: d for d in first.dosing}
    assert by_drug["trastuzumab"].dose == "8 mg/kg IV in cycle 1, then 6 mg/kg IV"
    assert by_drug["pertuzumab"].dose == "840 mg IV in cycle 1, then 420 mg IV"
    assert by_drug["docetaxel"].dose == "75 mg/m² IV"  # CLEOPATRA, not the 100 mg/m2 monotherapy dose
    assert all(d.schedule == "every 21 days" and d.adjustment is None and d.source for d in first.dosing)


def test_ovarian_suppression_added_by_a_modifier_has_its_dose() -> None:
    plan = plan_for(age=45, menopausal_status="pre")
    goserelin = _dosing(plan, "goserelin")
    assert goserelin
    assert (goserelin[0].dose, goserelin[0].schedule) == ("3.6 mg SC", "every 28 days")


def test_an_ongoing_line_keeps_its_dosing() -> None:
    history = [{"setting": "metastatic", "drugs": ["letrozole", "palbociclib"], "ended_because": "ongoing"}]
    plan = plan_for(prior_therapies=history, labs={"neutrophils_10e9_l": 0.8})
    first = plan.systemic[0]
    assert first.drugs == ["letrozole", "palbociclib"]
    palbociclib = next(d for d in first.dosing if d.drug == "palbociclib")
    assert palbociclib.dose == "125 mg orally once daily"
    assert "neutrophils 0.8 \u00d7 10⁹/L (< 1 \u00d7 10⁹/L): delay" in (palbociclib.adjustment or "")


def test_an_ongoing_drug_without_dose_data_says_so() -> None:
    history = [{"setting": "metastatic", "drugs": ["anastrozole", "ribociclib"], "ended_because": "ongoing"}]
    first = plan_for(prior_therapies=history).systemic[0]
    assert first.rule == "continue_ongoing_line"
    anastrozole, ribociclib = first.dosing
    assert anastrozole.dose == "no dose data in the knowledge base"
    assert "continues at its current dose" in anastrozole.schedule
    assert ribociclib.dose == "600 mg orally once daily"


def test_implausible_values_warn_and_say_what_they_changed() -> None:
    plan = plan_for(age=64, menopausal_status="pre", labs={"lvef_percent": 15, "neutrophils_10e9_l": 0.3})
    premenopausal, lvef, neutrophils = plan.warnings
    assert tuple(t for t in ("age 64", "added goserelin") if t in premenopausal) == ("age 64", "added goserelin")
    assert "withheld" in lvef
    assert "LVEF 15" in lvef
    assert "trastuzumab" in lvef
    assert "neutrophils 0.3" in neutrophils
    assert "paclitaxel" in neutrophils
    assert plan_for().warnings == []
