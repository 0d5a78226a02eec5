"""Evidence that fits the patient, levels by design, MCBS, families, treatment phases and assumptions."""

from __future__ import annotations

from typing import Any

import pytest

from mbctwin.cli.render import family_lines
from mbctwin.engine.contract import SystemicOption
from tests.conftest import plan_for, prior_line

PROGRESSED_ON_AI_CDK = prior_line(["letrozole", "palbociclib"], "progression", months=20)


def _option(plan, drugs: set[str]) -> SystemicOption:  # type: ignore[no-untyped-def]
    return next(o for o in plan.systemic if set(o.drugs) - {"goserelin"} == drugs)


def test_a_premenopausal_woman_gets_the_trial_that_enrolled_premenopausal_women() -> None:
    plan = plan_for(menopausal_status="pre", age=44)
    ribociclib = _option(plan, {"letrozole", "ribociclib"})
    cited = {e.source_id for e in ribociclib.evidence}
    assert "monaleesa7" in cited
    assert "monaleesa2" not in cited
    assert ribociclib.mcbs is not None
    assert ribociclib.mcbs.score == "5"
    assert ribociclib.mcbs.scorecard is not None
    assert "scorecard 158" in ribociclib.mcbs.scorecard  # what was read travels with the score
    assert ribociclib.mcbs.scale.startswith("non-curative scale 1")
    palbociclib = _option(plan, {"letrozole", "palbociclib"})
    assert any(e.extrapolated_from and "menopausal status pre" in " ".join(e.misfits) for e in palbociclib.evidence)
    assert palbociclib.level is not None
    assert "extrapolated" in palbociclib.level


def test_a_man_is_told_that_evidence_from_women_is_extrapolated() -> None:
    plan = plan_for(sex="male", menopausal_status=None)
    option = _option(plan, {"letrozole", "ribociclib"})
    assert any(e.extrapolated_from and "sex male" in " ".join(e.misfits) for e in option.evidence)


def test_a_guideline_is_never_cited_for_a_drug_newer_than_itself() -> None:
    plan = plan_for(prior_therapies=[PROGRESSED_ON_AI_CDK], biomarkers={"pik3ca": "mutated", "esr1": "mutated"})
    capivasertib = _option(plan, {"fulvestrant", "capivasertib"})
    assert "esmo_mbc_living_guideline" not in {e.source_id for e in capivasertib.evidence}  # 2021 < CAPItello 2023
    for item in capivasertib.evidence:
        if item.kind == "guideline":
            assert item.version
            assert item.date


def test_levels_follow_the_design_of_what_is_cited() -> None:
    plan = plan_for(prior_therapies=[PROGRESSED_ON_AI_CDK])
    capecitabine = _option(plan, {"capecitabine"})
    assert all(e.kind == "guideline" for e in capecitabine.evidence)
    assert capecitabine.level == "LoE V"
    assert _option(plan, {"fulvestrant", "abemaciclib"}).level == "LoE I"


def test_a_chemotherapy_option_is_always_there_after_cdk46_and_first_after_a_short_response() -> None:
    long_response = plan_for(prior_therapies=[PROGRESSED_ON_AI_CDK])
    assert any("chemotherapy" in o.why or o.classes == ["antimetabolite"] for o in long_response.systemic)
    short = plan_for(prior_therapies=[{**PROGRESSED_ON_AI_CDK, "months_on_treatment": 8}])
    assert {"taxane", "antimetabolite", "other_chemotherapy", "anthracycline"} & set(short.systemic[0].classes)


def test_options_of_one_family_are_grouped_with_what_separates_them() -> None:
    plan = plan_for()
    families = {o.family for o in plan.systemic if "cdk4_6_inhibitor" in o.classes}
    assert "aromatase inhibitor + CDK4/6 inhibitor" in families
    line = next(x for x in family_lines(plan) if x.startswith("aromatase inhibitor + CDK4/6 inhibitor"))
    assert "ribociclib, abemaciclib or palbociclib" in line
    assert "MONALEESA-2" in line


def test_end_of_induction_gives_maintenance_and_an_unfinished_induction_continues() -> None:
    induction = prior_line(["paclitaxel"], "ongoing", months=6)
    done = plan_for(prior_therapies=[{**induction, "best_response": "PR"}])
    assert "chemotherapy" not in " ".join(done.systemic[0].classes)
    assert {"paclitaxel"} != set(done.systemic[0].drugs)
    assert any(r.factor == "treatment_phase" and r.value == "maintenance" for r in done.rationale)
    early = plan_for(prior_therapies=[{**induction, "months_on_treatment": 2, "best_response": "SD"}])
    assert early.systemic[0].drugs == ["paclitaxel"]
    assert any(r.factor == "treatment_phase" and r.value == "continue" for r in early.rationale)


def test_an_ongoing_drug_that_is_now_contraindicated_is_switched_with_the_reason() -> None:
    ongoing = prior_line(["letrozole", "ribociclib"], "ongoing")
    plan = plan_for(prior_therapies=[ongoing], comorbidities=["qt_prolongation"])
    assert "ribociclib" not in plan.systemic[0].drugs
    switch = next(r for r in plan.rationale if r.factor == "treatment_phase")
    assert switch.value == "switch"
    assert "QT" in switch.effect


def test_a_missing_disease_free_interval_is_assumed_safely_and_said() -> None:
    adjuvant = prior_line(["anastrozole"], "completed", months=60, setting="adjuvant")
    plan = plan_for(presentation="recurrent", prior_therapies=[adjuvant])
    assert any("disease-free interval" in a for a in plan.assumptions)
    assert not {"anastrozole", "letrozole"} & {d for o in plan.systemic for d in o.drugs}
    assert "fulvestrant" in plan.systemic[0].drugs


def test_an_uncounted_lesion_is_an_assumption_and_never_oligometastatic() -> None:
    plan = plan_for(metastases=[{"site": "bone"}])
    assert any("not treated as oligometastatic" in a for a in plan.assumptions)
    assert all("oligometastatic" not in s.why for s in plan.supportive)


def test_an_ongoing_line_whose_dose_the_labs_change_is_continued_adjusted() -> None:
    ongoing = prior_line(["capecitabine"], "ongoing", months=3)
    plan = plan_for(prior_therapies=[ongoing], labs={"creatinine_clearance_ml_min": 40})
    assert plan.systemic[0].drugs == ["capecitabine"]
    phase = next(r for r in plan.rationale if r.factor == "treatment_phase")
    assert phase.value == "adjust"
    assert "creatinine clearance" in phase.effect.lower()


def test_kept_evidence_choices_give_the_plans_a_fresh_choice_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """Evidence choices are kept per knowledge base by drugs, sources and the misfits found; with the
    store emptied before every choice the plans are the same, extrapolated and out-of-sequence ones too."""
    from mbctwin.engine import evidence

    later_line = {**PROGRESSED_ON_AI_CDK, "drugs": ["capecitabine"]}
    changes: list[dict[str, Any]] = [
        {},
        {"menopausal_status": "pre", "age": 44},
        {"prior_therapies": [PROGRESSED_ON_AI_CDK]},
        {"prior_therapies": [PROGRESSED_ON_AI_CDK, later_line], "biomarkers": {"pik3ca": "mutated"}},
        {"sex": "male", "menopausal_status": None},
    ]
    kept = [plan_for(**c).model_dump_json() for c in changes * 2]
    monkeypatch.setattr(evidence, "CHOICES_KEPT", 0)
    assert [plan_for(**c).model_dump_json() for c in changes * 2] == kept
