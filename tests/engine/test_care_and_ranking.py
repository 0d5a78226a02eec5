"""Urgent flags, local and supportive care, ongoing lines, preferences, determinism, explanation."""

from __future__ import annotations

import json

import pytest

from mbctwin.engine.plan import build_plan
from mbctwin.knowledge.loader import KnowledgeBase
from tests.conftest import case_with, plan_for


def _supportive_classes(plan) -> set[str]:
    return {c for s in plan.supportive for c in s.classes}


@pytest.mark.parametrize(
    ("finding", "code"),
    [
        ("spinal_cord_compression", "spinal_cord_compression"),
        ("impending_fracture", "impending_fracture"),
        ("pathological_fracture", "pathological_fracture"),
    ],
)
def test_bone_findings_raise_urgent_flags_and_local_treatment(finding: str, code: str) -> None:
    plan = plan_for(metastases=[{"site": "bone", "count": 4, "symptomatic": True, "findings": [finding]}])
    assert code in {u.code for u in plan.urgent}
    assert {x.site for x in plan.local} == {"bone"}


def test_cord_compression_means_steroids_radiotherapy_and_surgery_review() -> None:
    plan = plan_for(
        ecog=2,
        metastases=[{"site": "bone", "count": 10, "symptomatic": True, "findings": ["spinal_cord_compression"]}],
        symptoms={"pain_score": 8},
    )
    assert {"corticosteroid", "bone_modifying_agent", "analgesia"} <= _supportive_classes(plan)
    assert {("radiotherapy", "bone"), ("surgery", "bone")} <= {(x.modality, x.site) for x in plan.local}


def test_painful_bone_metastasis_gets_single_fraction_radiotherapy() -> None:
    plan = plan_for(metastases=[{"site": "bone", "count": 2, "symptomatic": True}], symptoms={"pain_score": 6})
    assert any(x.regimen == "8 Gy in 1 fraction" for x in plan.local)


def test_hypercalcaemia_gets_hydration_and_zoledronic_acid_unless_renal_failure() -> None:
    plan = plan_for(symptoms={"hypercalcemia": True})
    assert "hypercalcemia" in {u.code for u in plan.urgent}
    assert "hydration" in _supportive_classes(plan)
    assert "zoledronic_acid" in {d for s in plan.supportive for d in s.drugs}
    renal = plan_for(symptoms={"hypercalcemia": True}, labs={"creatinine_clearance_ml_min": 20})
    agents = {d for s in renal.supportive for d in s.drugs}
    assert "zoledronic_acid" not in agents
    assert "denosumab" in agents


def test_no_bone_metastases_no_bone_modifying_agent() -> None:
    plan = plan_for(metastases=[{"site": "lung", "count": 3}])
    assert "bone_modifying_agent" not in _supportive_classes(plan)


@pytest.mark.parametrize(
    ("finding", "site", "code"),
    [("malignant_effusion", "pleura", "malignant_effusion"), ("biliary_obstruction", "liver", "biliary_obstruction")],
)
def test_visceral_emergencies_get_interventions(finding: str, site: str, code: str) -> None:
    plan = plan_for(metastases=[{"site": site, "count": 2, "symptomatic": True, "findings": [finding]}])
    assert code in {u.code for u in plan.urgent}
    assert ("interventional", site) in {(x.modality, x.site) for x in plan.local}


def test_leptomeningeal_disease_is_urgent() -> None:
    plan = plan_for(metastases=[{"site": "leptomeninges", "count": 1, "symptomatic": True}])
    assert "leptomeningeal_disease" in {u.code for u in plan.urgent}


def test_ongoing_line_continues_at_rank_one() -> None:
    ongoing = {
        "setting": "metastatic",
        "drugs": ["letrozole", "palbociclib"],
        "ended_because": "ongoing",
        "months_on_treatment": 9,
    }
    plan = plan_for(
        prior_therapies=[ongoing],
        metastases=[{"site": "bone", "count": 3}, {"site": "brain", "count": 1, "symptomatic": True}],
    )
    assert plan.systemic[0].drugs == ["letrozole", "palbociclib"]
    assert plan.line == 1
    assert ("stereotactic_radiosurgery", "brain") in {(x.modality, x.site) for x in plan.local}


@pytest.mark.parametrize("setting", ["adjuvant", "metastatic"])
def test_a_drug_stopped_for_toxicity_in_any_setting_is_not_offered_again(setting: str) -> None:
    toxic = {"setting": setting, "drugs": ["letrozole"], "ended_because": "toxicity", "months_on_treatment": 8}
    changes = {"presentation": "recurrent", "disease_free_interval_months": 40} if setting == "adjuvant" else {}
    plan = plan_for(prior_therapies=[toxic], **changes)
    assert all("letrozole" not in o.drugs for o in plan.systemic)
    assert any("letrozole" in n.drugs and "toxicity" in n.why for n in plan.not_recommended)
    substitutes = [o for o in plan.systemic if "anastrozole" in o.drugs or "exemestane" in o.drugs]
    assert all("instead of letrozole" in o.why for o in substitutes)


def test_preferences_lower_the_rank_without_excluding() -> None:
    oral = plan_for(
        preferences={"oral_only": True},
        prior_therapies=[
            {
                "setting": "metastatic",
                "drugs": ["letrozole", "palbociclib"],
                "ended_because": "progression",
                "months_on_treatment": 20,
            }
        ],
        biomarkers={"esr1": "mutated"},
    )
    assert all(o.notes for o in oral.systemic if "fulvestrant" in o.drugs)
    assert "fulvestrant" not in oral.systemic[0].drugs


def test_unknown_comorbidity_is_named_as_unused_in_the_rationale() -> None:
    plan = plan_for(comorbidities=["gout", "heart_failure"])
    unused = {r.value for r in plan.rationale if r.factor == "comorbidity"}
    assert unused == {"gout"}


def test_plan_is_deterministic_byte_for_byte(kb: KnowledgeBase) -> None:
    case = case_with(metastases=[{"site": "bone", "count": 3, "symptomatic": True}], symptoms={"pain_score": 5})
    first = json.dumps(build_plan(case, kb).model_dump(mode="json"), sort_keys=True)
    second = json.dumps(build_plan(case, kb).model_dump(mode="json"), sort_keys=True)
    assert first == second


def test_plan_records_versions_and_disclaimer() -> None:
    plan = plan_for()
    assert plan.engine_version
    assert plan.knowledge_base_version
    assert "tumour board" in plan.disclaimer
    assert all(drug.replace("_", " ") in plan.explanation for drug in plan.systemic[0].drugs)


def test_every_option_explains_itself_with_case_facts() -> None:
    plan = plan_for(
        biomarkers={"pik3ca": "mutated"},
        prior_therapies=[
            {
                "setting": "metastatic",
                "drugs": ["letrozole", "palbociclib"],
                "ended_because": "progression",
                "months_on_treatment": 22,
            }
        ],
    )
    first = plan.systemic[0]
    assert {"pi3k_pathway_altered", "line"} <= {r.fact for r in first.because} or any(
        r.fact == "pi3k_pathway_altered" for r in first.because
    )
    assert first.why
    assert first.rule
