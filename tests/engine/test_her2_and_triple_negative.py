"""HER2-positive and triple-negative decision points, and tumour-agnostic options."""

from __future__ import annotations

from mbctwin.case.vocabulary import vocabulary
from tests._assertions import classes_in_systemic, drugs_in_systemic
from tests.conftest import plan_for

HER2_POS = {"er": "negative", "er_percent": 0, "pr": "negative", "her2_ihc": "3+"}
TNBC = {"er": "negative", "er_percent": 0, "pr": "negative", "her2_ihc": "0"}


def _met(drugs: list[str], months: float = 12) -> dict:
    return {"setting": "metastatic", "drugs": drugs, "ended_because": "progression", "months_on_treatment": months}


def test_her2_positive_first_line_is_dual_blockade_with_taxane() -> None:
    plan = plan_for(tumor=HER2_POS, metastases=[{"site": "liver", "count": 3}])
    first = set(plan.systemic[0].drugs)
    assert {"trastuzumab", "pertuzumab"} <= first
    assert vocabulary().classes_of(sorted(first)) & {"taxane"}
    assert "endocrine" not in classes_in_systemic(plan)


def test_her2_positive_second_line_is_trastuzumab_deruxtecan() -> None:
    plan = plan_for(tumor=HER2_POS, prior_therapies=[_met(["docetaxel", "trastuzumab", "pertuzumab"], 20)])
    assert plan.systemic[0].drugs == ["trastuzumab_deruxtecan"]


def test_brain_metastases_bring_tucatinib_and_radiosurgery() -> None:
    history = [_met(["docetaxel", "trastuzumab", "pertuzumab"], 20), _met(["trastuzumab_deruxtecan"], 11)]
    plan = plan_for(
        tumor=HER2_POS,
        prior_therapies=history,
        metastases=[{"site": "brain", "count": 3, "symptomatic": True}, {"site": "lung", "count": 2}],
    )
    assert set(plan.systemic[0].drugs) == {"tucatinib", "trastuzumab", "capecitabine"}
    assert ("stereotactic_radiosurgery", "brain") in {(x.modality, x.site) for x in plan.local}
    assert "symptomatic_brain_metastases" in {u.code for u in plan.urgent}
    assert "dexamethasone" in {d for s in plan.supportive for d in s.drugs}
    assert "trastuzumab" in drugs_in_systemic(plan)  # continues beyond progression with a new partner


def test_many_brain_metastases_get_whole_brain_radiotherapy() -> None:
    plan = plan_for(tumor=HER2_POS, metastases=[{"site": "brain", "count": 8}])
    assert "whole_brain_radiotherapy" in {x.modality for x in plan.local}
    assert "stereotactic_radiosurgery" not in {x.modality for x in plan.local}


def test_low_ejection_fraction_withholds_her2_antibodies() -> None:
    plan = plan_for(tumor=HER2_POS, labs={"lvef_percent": 40})
    assert not {"trastuzumab", "pertuzumab", "trastuzumab_deruxtecan"} & drugs_in_systemic(plan)
    assert any("LVEF" in n.why for n in plan.not_recommended)


def test_hr_positive_her2_positive_frail_gets_anti_her2_with_endocrine_therapy() -> None:
    plan = plan_for(tumor={"her2_ihc": "3+"}, ecog=3)
    first = set(plan.systemic[0].drugs)
    assert "trastuzumab" in first
    assert "chemotherapy" not in vocabulary().classes_of(sorted(first))


def test_triple_negative_cps_10_or_more_gets_pembrolizumab_with_chemotherapy() -> None:
    plan = plan_for(tumor=TNBC, biomarkers={"pd_l1_cps": 15}, presentation="recurrent", disease_free_interval_months=30)
    assert "pembrolizumab" in plan.systemic[0].drugs
    assert plan.endocrine_resistance == "not_applicable"


def test_early_relapse_or_low_cps_withholds_pembrolizumab() -> None:
    early = plan_for(tumor=TNBC, biomarkers={"pd_l1_cps": 15}, presentation="recurrent", disease_free_interval_months=3)
    low = plan_for(tumor=TNBC, biomarkers={"pd_l1_cps": 2})
    assert "pembrolizumab" not in drugs_in_systemic(early) | drugs_in_systemic(low)
    assert any("CPS" in n.why for n in low.not_recommended)


def test_autoimmune_disease_withholds_checkpoint_inhibitors() -> None:
    plan = plan_for(tumor=TNBC, biomarkers={"pd_l1_cps": 40}, comorbidities=["active_autoimmune_disease"])
    assert "immune_checkpoint_inhibitor" not in classes_in_systemic(plan)


def test_untested_pd_l1_is_asked_for_in_first_line_triple_negative() -> None:
    plan = plan_for(tumor=TNBC)
    assert "PD-L1 CPS (22C3)" in {t.test for t in plan.tests_needed}
    assert "germline BRCA1/2" in {t.test for t in plan.tests_needed}


def test_pretreated_triple_negative_gets_sacituzumab_govitecan() -> None:
    history = [
        {
            "setting": "adjuvant",
            "drugs": ["doxorubicin", "cyclophosphamide", "paclitaxel"],
            "ended_because": "completed",
            "months_on_treatment": 6,
        },
        _met(["carboplatin", "gemcitabine"], 6),
    ]
    plan = plan_for(
        tumor=TNBC,
        biomarkers={"pd_l1_cps": 3},
        prior_therapies=history,
        presentation="recurrent",
        disease_free_interval_months=22,
    )
    assert plan.systemic[0].drugs == ["sacituzumab_govitecan"]
    assert not {"carboplatin", "gemcitabine"} & drugs_in_systemic(plan)


def test_germline_brca_triple_negative_gets_parp_or_platinum() -> None:
    plan = plan_for(tumor=TNBC, biomarkers={"gbrca": "brca1", "pd_l1_cps": 1})
    top3 = {d for o in plan.systemic[:3] for d in o.drugs}
    assert top3 & {"olaparib", "talazoparib", "carboplatin", "sacituzumab_govitecan"}
    assert "parp_inhibitor" in classes_in_systemic(plan)


def test_ntrk_fusion_and_msi_high_open_agnostic_options_later() -> None:
    history = [_met(["paclitaxel"]), _met(["sacituzumab_govitecan"])]
    ntrk = plan_for(tumor=TNBC, biomarkers={"ntrk_fusion": True, "pd_l1_cps": 1}, prior_therapies=history)
    msi = plan_for(tumor=TNBC, biomarkers={"msi_high": True, "pd_l1_cps": 1}, prior_therapies=history)
    assert "larotrectinib" in drugs_in_systemic(ntrk)
    assert "pembrolizumab" in drugs_in_systemic(msi)
    assert not {"larotrectinib", "pembrolizumab"} & drugs_in_systemic(plan_for(tumor=TNBC, prior_therapies=history))


def test_ecog_4_after_three_lines_is_best_supportive_care_only() -> None:
    history = [_met(["paclitaxel"], 5), _met(["sacituzumab_govitecan"], 4), _met(["eribulin"], 3)]
    plan = plan_for(tumor=TNBC, ecog=4, prior_therapies=history, visceral_crisis=True)
    assert plan.systemic == []
    assert {"best_supportive_care", "palliative_care_referral"} <= {c for s in plan.supportive for c in s.classes}
    assert "comfort_care" in plan.goals
    assert "prolong_survival" not in plan.goals
