"""The flat fact table that knowledge-base conditions read, built from a case.

Names and meanings are declared in ``knowledge/data/facts.yaml``; a test checks that this
module produces exactly those names, so the data and the code cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from mbctwin.case.derived import (
    Derived,
    induction_complete,
    is_chemotherapy,
    is_endocrine,
    lesion_total,
    metastatic_lines,
    months_before_metastasis,
    ongoing_line,
    short_first_line_cdk46,
    total_lesions,
)
from mbctwin.case.models import FINDINGS, SITES, Case, Metastasis
from mbctwin.case.vocabulary import vocabulary

VISCERAL_SITES = frozenset(
    {"lung", "liver", "pleura", "peritoneum", "adrenal", "bone_marrow", "brain", "leptomeninges"}
)
HIGH_KI67_PERCENT = 30  # St Gallen / ESMO convention for "high" proliferation in luminal disease
SHORT_DFI_MONTHS = 24
FIRST_TRIMESTER_LAST_WEEK = 13  # ESMO 2023 consensus: chemotherapy may start from gestational week 14


_SITE_KEYS = tuple((site, f"{site}_present", f"{site}_count", f"{site}_symptomatic") for site in SITES)
_FINDING_KEYS = tuple((finding, f"finding_{finding}") for finding in FINDINGS)


def _site_facts(case: Case) -> dict[str, Any]:
    """Per-site facts for every site of the contract (most absent: their facts need no lesion list)."""
    by_site: dict[str, list[Metastasis]] = {}
    for metastasis in case.metastases:
        by_site.setdefault(metastasis.site, []).append(metastasis)
    facts: dict[str, Any] = {}
    for site, present, count, symptomatic in _SITE_KEYS:
        lesions = by_site.get(site)
        facts[present] = bool(lesions)
        facts[count] = lesion_total(lesions) if lesions else 0
        facts[symptomatic] = any(m.symptomatic for m in lesions) if lesions else False
    found = {f for m in case.metastases for f in m.findings}
    for finding, key in _FINDING_KEYS:
        facts[key] = finding in found
    sites = {m.site for m in case.metastases}
    facts["organs_involved"] = len(sites)
    facts["bone_only"] = sites == {"bone"}
    facts["visceral_disease"] = bool(sites & VISCERAL_SITES)
    facts["total_lesions"] = total_lesions(case)
    facts["leptomeningeal"] = facts["leptomeninges_present"] or facts["finding_leptomeningeal"]
    facts["cns_disease"] = facts["brain_present"] or facts["leptomeningeal"]
    facts["symptomatic_metastases"] = any(m.symptomatic for m in case.metastases)
    return facts


def _history_facts(case: Case, derived: Derived) -> dict[str, Any]:
    vocab = vocabulary()
    lines = metastatic_lines(case)
    exposed_any = {d for p in case.prior_therapies for d in p.drugs}
    exposed_meta = {d for p in lines for d in p.drugs}
    early_chemo = [m for p, m in months_before_metastasis(case) if is_chemotherapy(p)]
    current = ongoing_line(case)
    return {
        "failed_drugs": frozenset(derived.failed_drugs),
        "failed_classes": frozenset(vocab.classes_of(sorted(derived.failed_drugs))),
        "exposed_classes": frozenset(vocab.classes_of(sorted(exposed_any))),
        "exposed_classes_metastatic": frozenset(vocab.classes_of(sorted(exposed_meta))),
        "metastatic_endocrine_lines": sum(is_endocrine(p) for p in lines if p.ended_because == "progression"),
        "metastatic_chemo_lines": sum(is_chemotherapy(p) for p in lines if p.ended_because == "progression"),
        "prior_systemic_regimens": sum(p.ended_because != "ongoing" for p in case.prior_therapies),
        "months_since_adjuvant_chemo": min((m for m in early_chemo if m is not None), default=None),
        "ongoing_therapy": current is not None,
        "ongoing_drugs": frozenset(current.drugs if current else ()),
        "induction_complete": induction_complete(case),
        "short_first_line_cdk46": bool(short_first_line_cdk46(case)),
        "stopped_for_toxicity": frozenset(derived.intolerant_drugs),
    }


def _tumour_facts(case: Case, derived: Derived) -> dict[str, Any]:
    tumor = case.tumor
    dfi = case.disease_free_interval_months if case.presentation == "recurrent" else None
    return {
        "subtype": derived.subtype,
        "her2_category": derived.her2_category,
        "her2_positive": derived.her2_category == "positive",
        "her2_ihc": tumor.her2_ihc,
        "hr_positive": derived.hr_positive,
        "er": tumor.er,
        "pr": tumor.pr,
        "er_low": derived.er_low,
        "managed_as_triple_negative": derived.subtype == "triple-negative"
        or (derived.er_low and derived.her2_category in ("low", "ultralow", "zero")),
        "grade": tumor.grade,
        "ki67_percent": tumor.ki67_percent,
        "high_proliferation": tumor.grade == 3 or (tumor.ki67_percent or 0) >= HIGH_KI67_PERCENT,
        "histology": tumor.histology,
        "line": derived.line,
        "endocrine_resistance": derived.endocrine_resistance,
        "presentation": case.presentation,
        "disease_free_interval_months": dfi,
        "short_dfi": dfi is not None and dfi < SHORT_DFI_MONTHS,
        "oligometastatic": derived.oligometastatic,
    }


def _pregnancy_facts(case: Case) -> dict[str, Any]:
    pregnant = case.pregnancy == "pregnant"
    weeks = case.gestational_weeks if pregnant else None
    return {
        "pregnancy": case.pregnancy,
        "pregnant": pregnant,
        "gestational_weeks": weeks,
        "first_trimester": weeks is not None and weeks <= FIRST_TRIMESTER_LAST_WEEK,
        "breastfeeding": case.pregnancy == "breastfeeding",
    }


def _biomarker_facts(case: Case) -> dict[str, Any]:
    markers = case.biomarkers.model_dump()
    markers["pi3k_pathway_altered"] = "mutated" in (case.biomarkers.pik3ca, case.biomarkers.akt1, case.biomarkers.pten)
    markers["germline_brca_carrier"] = case.biomarkers.gbrca in ("brca1", "brca2")
    markers["pd_l1_cps_ge_10"] = (case.biomarkers.pd_l1_cps or 0) >= 10
    return markers


def case_facts(case: Case, derived: Derived | None = None) -> dict[str, Any]:
    """Every fact the knowledge base may test, by name."""
    derived = derived or Derived.of(case)
    female = case.sex == "female"
    facts: dict[str, Any] = {
        "age": case.age,
        "sex": case.sex,
        "menopausal_status": case.menopausal_status if female else None,
        "ovarian_function_active": female and case.menopausal_status in ("pre", "peri"),
        "ecog": case.ecog,
        "visceral_crisis": case.visceral_crisis,
        "comorbidities": frozenset(case.comorbidities),
        "oral_only": case.preferences.oral_only,
        "avoid_alopecia": case.preferences.avoid_alopecia,
        "declines_chemotherapy": case.preferences.declines_chemotherapy,
        **_pregnancy_facts(case),
        **case.symptoms.model_dump(),
        **case.labs.model_dump(),
        **_tumour_facts(case, derived),
        **_site_facts(case),
        **_biomarker_facts(case),
        **_history_facts(case, derived),
    }
    return facts
