"""HR-positive, HER2-negative decision points: first line, resistance, biomarkers, later lines."""

from __future__ import annotations

from mbctwin.case.vocabulary import vocabulary
from tests._assertions import classes_in_systemic, drugs_in_systemic
from tests.conftest import plan_for


def _met(drugs: list[str], months: float = 14, ended: str = "progression") -> dict:
    return {"setting": "metastatic", "drugs": drugs, "ended_because": ended, "months_on_treatment": months}


def _first(plan) -> set[str]:
    return set(plan.systemic[0].drugs)


def _classes(drugs: set[str]) -> set[str]:
    return vocabulary().classes_of(sorted(drugs))


def test_first_line_endocrine_sensitive_gets_ai_and_cdk46() -> None:
    plan = plan_for()
    assert {"aromatase_inhibitor", "cdk4_6_inhibitor"} <= _classes(_first(plan))
    assert plan.systemic[0].evidence[0].finding  # a trial result, not just a name
    assert plan.endocrine_resistance == "sensitive"


def test_aromatase_inhibitor_failure_moves_to_fulvestrant() -> None:
    history = [
        {"setting": "adjuvant", "drugs": ["anastrozole"], "ended_because": "progression", "months_on_treatment": 18}
    ]
    plan = plan_for(prior_therapies=history, presentation="recurrent", disease_free_interval_months=0)
    assert "fulvestrant" in _first(plan)
    assert "cdk4_6_inhibitor" in _classes(_first(plan))
    assert not {"letrozole", "anastrozole"} & drugs_in_systemic(plan)
    assert plan.endocrine_resistance == "primary_resistance"


def test_premenopausal_women_get_ovarian_suppression_with_every_endocrine_option() -> None:
    plan = plan_for(menopausal_status="pre", age=41)
    endocrine = [o for o in plan.systemic if "endocrine" in _classes(set(o.drugs) - {"goserelin"})]
    assert endocrine
    assert all("goserelin" in o.drugs for o in endocrine)
    assert "goserelin" not in plan_for().systemic[0].drugs


def test_men_get_a_gnrh_agonist_with_an_aromatase_inhibitor_only() -> None:
    plan = plan_for(sex="male", menopausal_status=None)
    for option in plan.systemic:
        has_ai = "aromatase_inhibitor" in _classes(set(option.drugs))
        assert ("goserelin" in option.drugs) == has_ai


def test_visceral_crisis_means_chemotherapy_first() -> None:
    plan = plan_for(visceral_crisis=True, metastases=[{"site": "liver", "count": 10, "symptomatic": True}])
    assert "chemotherapy" in _classes(_first(plan))
    assert "visceral_crisis" in {u.code for u in plan.urgent}


def test_raised_bilirubin_excludes_docetaxel_with_a_reason() -> None:
    plan = plan_for(visceral_crisis=True, labs={"bilirubin_x_uln": 1.8})
    assert "docetaxel" not in drugs_in_systemic(plan)
    assert any("docetaxel" in n.drugs and "bilirubin" in n.why for n in plan.not_recommended)


def test_frail_patient_gets_endocrine_monotherapy() -> None:
    plan = plan_for(ecog=3)
    assert len(plan.systemic[0].drugs) == 1
    assert "endocrine" in _classes(_first(plan))
    assert "cdk4_6_inhibitor" not in classes_in_systemic(plan)


def test_pik3ca_after_cdk46_gets_pi3k_pathway_inhibitor() -> None:
    plan = plan_for(biomarkers={"pik3ca": "mutated"}, prior_therapies=[_met(["letrozole", "palbociclib"], 22)])
    assert plan.line == 2
    assert "fulvestrant" in _first(plan)
    assert _classes(_first(plan)) & {"akt_inhibitor", "pi3k_inhibitor"}
    assert not {"letrozole", "palbociclib"} & drugs_in_systemic(plan)


def test_poorly_controlled_diabetes_excludes_pi3k_and_akt_inhibitors() -> None:
    plan = plan_for(
        biomarkers={"pik3ca": "mutated"},
        labs={"hba1c_percent": 9.1},
        prior_therapies=[_met(["letrozole", "palbociclib"], 22)],
    )
    assert not classes_in_systemic(plan) & {"akt_inhibitor", "pi3k_inhibitor"}
    assert any("capivasertib" in n.drugs for n in plan.not_recommended)


def test_esr1_mutation_after_cdk46_gets_oral_serd() -> None:
    plan = plan_for(
        biomarkers={"esr1": "mutated", "pik3ca": "wild_type"}, prior_therapies=[_met(["anastrozole", "ribociclib"], 16)]
    )
    assert _first(plan) & {"elacestrant", "imlunestrant"}


def test_germline_brca_carrier_after_endocrine_therapy_is_offered_parp_inhibitor() -> None:
    plan = plan_for(biomarkers={"gbrca": "brca2"}, prior_therapies=[_met(["letrozole", "ribociclib"])])
    assert "parp_inhibitor" in classes_in_systemic(plan)
    assert "genetic_counselling" in {c for s in plan.supportive for c in s.classes}


def test_her2_low_after_chemotherapy_gets_trastuzumab_deruxtecan() -> None:
    history = [_met(["letrozole", "abemaciclib"], 19), _met(["capecitabine"], 7)]
    plan = plan_for(tumor={"her2_ihc": "2+", "her2_ish": "not_amplified"}, prior_therapies=history)
    assert _first(plan) == {"trastuzumab_deruxtecan"}


def test_interstitial_lung_disease_removes_trastuzumab_deruxtecan() -> None:
    history = [_met(["letrozole", "abemaciclib"], 19), _met(["capecitabine"], 7)]
    plan = plan_for(tumor={"her2_ihc": "1+"}, prior_therapies=history, comorbidities=["interstitial_lung_disease"])
    assert "trastuzumab_deruxtecan" not in drugs_in_systemic(plan)


def test_her2_zero_never_gets_trastuzumab_deruxtecan() -> None:
    history = [_met(["letrozole", "abemaciclib"], 19), _met(["capecitabine"], 7)]
    assert "trastuzumab_deruxtecan" not in drugs_in_systemic(plan_for(prior_therapies=history))


def test_her2_unknown_offers_only_her2_independent_options_and_asks_for_the_test() -> None:
    plan = plan_for(tumor={"her2_ihc": "2+", "her2_ish": "not_done"})
    assert plan.subtype == "HR+/HER2 unknown"
    assert "anti_her2" not in classes_in_systemic(plan)
    assert "HER2 ISH" in {t.test for t in plan.tests_needed}


def test_er_low_is_flagged_and_adds_chemotherapy_options() -> None:
    plan = plan_for(tumor={"er_percent": 5, "pr": "negative"})
    assert any(r.factor == "er_low" for r in plan.rationale)
    assert "chemotherapy" in classes_in_systemic(plan)


def test_endocrine_exhausted_disease_is_offered_chemotherapy() -> None:
    history = [
        _met(["letrozole", "ribociclib"], 20),
        _met(["fulvestrant", "everolimus"], 5),
        _met(["exemestane", "everolimus"], 4),
    ]
    plan = plan_for(prior_therapies=history)
    assert plan.line == 4
    assert "chemotherapy" in classes_in_systemic(plan)


def test_cdk46_naive_after_nsai_and_fulvestrant_gets_everolimus_before_chemotherapy() -> None:
    """BOLERO-2's population (after a nonsteroidal AI): an endocrine combination before chemotherapy."""
    history = [_met(["letrozole"], 20), _met(["fulvestrant"], 8)]
    plan = plan_for(prior_therapies=history)
    assert _first(plan) == {"exemestane", "everolimus"}
    assert "bolero2" in {e.source_id for e in plan.systemic[0].evidence}
    assert "chemotherapy" in classes_in_systemic(plan)


def test_everolimus_needs_a_failed_nonsteroidal_aromatase_inhibitor() -> None:
    history = [_met(["tamoxifen"], 20), _met(["fulvestrant"], 8)]
    plan = plan_for(prior_therapies=history)
    assert {"exemestane", "everolimus"} not in [set(o.drugs) for o in plan.systemic]


def test_cdk46_naive_after_first_line_fulvestrant_gets_an_aromatase_inhibitor_with_a_cdk46_inhibitor() -> None:
    plan = plan_for(prior_therapies=[_met(["fulvestrant"], 14)])
    assert {"aromatase_inhibitor", "cdk4_6_inhibitor"} <= _classes(_first(plan))
    assert "fulvestrant" not in drugs_in_systemic(plan)
