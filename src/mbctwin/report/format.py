"""Words and links for plans and cases, shared by the web pages and the printable report."""

from __future__ import annotations

from typing import Any

from mbctwin.case.models import Case
from mbctwin.engine.contract import Evidence, Plan

__all__ = ["case_summary", "evidence_table", "evidence_url", "human"]


def human(value: Any) -> str:
    """``spinal_cord_compression`` -> ``spinal cord compression``; lists joined; None as an en dash."""
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(human(v) for v in value) or "\u2013"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("_", " ")


def evidence_url(evidence: Evidence) -> str | None:
    """PubMed for a PMID, else doi.org for a DOI, else nothing."""
    if evidence.pmid:
        return f"https://pubmed.ncbi.nlm.nih.gov/{evidence.pmid}/"
    if evidence.doi:
        return f"https://doi.org/{evidence.doi}"
    return None


def evidence_table(plan: Plan) -> list[tuple[Evidence, list[int]]]:
    """Every cited source once, with the ranks of the options that cite it."""
    seen: dict[str, tuple[Evidence, list[int]]] = {}
    for option in plan.systemic:
        for ev in option.evidence:
            key = f"{ev.source_id}|{ev.finding}"
            seen.setdefault(key, (ev, []))[1].append(option.rank)
    return list(seen.values())


def _receptors(case: Case) -> str:
    t = case.tumor
    er = f"ER {t.er}" + (f" ({t.er_percent:g} %)" if t.er_percent is not None else "")
    her2 = f"HER2 IHC {t.her2_ihc}" + (f", ISH {human(t.her2_ish)}" if t.her2_ish != "not_done" else "")
    return f"{er}, PR {t.pr}, {her2}"


def _therapies(case: Case) -> str:
    if not case.prior_therapies:
        return "none"
    return "; ".join(
        f"{p.setting}: {' + '.join(p.drugs)}"
        + (f", {p.months_on_treatment:g} mo" if p.months_on_treatment is not None else "")
        + f" ({human(p.ended_because)})"
        for p in case.prior_therapies
    )


LABELS = {
    "pain_score": "pain score",
    "hypercalcemia": "hypercalcaemia",
    "dyspnea": "dyspnoea",
    "bilirubin_x_uln": "bilirubin (\u00d7 ULN)",
    "alt_x_uln": "ALT (\u00d7 ULN)",
    "creatinine_clearance_ml_min": "creatinine clearance (mL/min)",
    "lvef_percent": "LVEF (%)",
    "neutrophils_10e9_l": "neutrophils (10⁹/L)",
    "hba1c_percent": "HbA1c (%)",
    "pik3ca": "PIK3CA",
    "akt1": "AKT1",
    "pten": "PTEN",
    "esr1": "ESR1",
    "gbrca": "germline BRCA",
    "gpalb2": "germline PALB2",
    "pd_l1_cps": "PD-L1 CPS",
    "pd_l1_sp142_ic_percent": "PD-L1 SP142 IC (%)",
    "msi_high": "MSI-high",
    "ntrk_fusion": "NTRK fusion",
    "avoid_alopecia": "avoid hair loss",
    "oral_only": "oral treatment only",
}


def _present(model: Any) -> str:
    """Recorded values only; a true flag is named without "yes"."""
    items = [
        LABELS.get(k, human(k)) if v is True else f"{LABELS.get(k, human(k))} {human(v)}"
        for k, v in model.model_dump().items()
        if v not in (None, False)
    ]
    return ", ".join(items) or "none recorded"


def case_summary(case: Case) -> list[tuple[str, str]]:
    """The case as (label, text) rows for a summary table."""
    who = f"{case.age}-year-old {case.sex}"
    if case.sex == "female" and case.menopausal_status:
        who += f", {case.menopausal_status}menopausal"
    presentation = human(case.presentation)
    if case.disease_free_interval_months is not None:
        presentation += f", disease-free interval {case.disease_free_interval_months:g} months"
    t = case.tumor
    extras = (("grade ", t.grade, ""), ("Ki-67 ", t.ki67_percent, " %"), ("", t.histology, ""))
    tumour = _receptors(case) + "".join(f", {a}{human(v)}{b}" for a, v, b in extras if v is not None)
    return [
        ("Patient", f"{who}, ECOG {case.ecog}"),
        ("Presentation", presentation),
        ("Tumour", tumour),
        (
            "Metastases",
            "; ".join(
                f"{human(m.site)} \u00d7{'?' if m.count is None else m.count}{' symptomatic' if m.symptomatic else ''}"
                + (f" ({human(m.findings)})" if m.findings else "")
                for m in case.metastases
            )
            + (" — visceral crisis" if case.visceral_crisis else ""),
        ),
        ("Symptoms", _present(case.symptoms)),
        ("Labs", _present(case.labs)),
        ("Biomarkers", _present(case.biomarkers)),
        ("Treatment history", _therapies(case)),
        ("Comorbidities", human(case.comorbidities) if case.comorbidities else "none"),
        ("Preferences", _present(case.preferences)),
    ]
