"""Hypothesis strategies for valid cases, drawn across the whole contract."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from mbctwin.case.models import FINDINGS, SITES
from mbctwin.case.vocabulary import vocabulary

ANTICANCER = sorted(
    d for d, drug in vocabulary().drugs.items() if not {"bone_modifying_agent", "corticosteroid"} & set(drug.classes)
)
COMORBIDITIES = [
    "interstitial_lung_disease",
    "active_autoimmune_disease",
    "heart_failure",
    "anthracycline_cardiomyopathy",
    "diabetes",
    "type_2_diabetes_on_insulin",
    "chronic_kidney_disease",
    "peripheral_neuropathy",
    "gout",
]


def _optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


@st.composite
def tumors(draw: st.DrawFn) -> dict[str, Any]:
    er = draw(st.sampled_from(["positive", "negative", "unknown"]))
    percent = {"positive": _optional(st.integers(1, 100)), "negative": _optional(st.just(0))}.get(er, st.none())
    return {
        "er": er,
        "er_percent": draw(percent),
        "pr": draw(st.sampled_from(["positive", "negative", "unknown"])),
        "her2_ihc": draw(st.sampled_from(["0", "ultralow", "1+", "2+", "3+", "unknown"])),
        "her2_ish": draw(st.sampled_from(["amplified", "not_amplified", "not_done"])),
        "grade": draw(_optional(st.integers(1, 3))),
        "ki67_percent": draw(_optional(st.integers(0, 100))),
    }


metastases = st.fixed_dictionaries(
    {
        "site": st.sampled_from(SITES),
        "count": _optional(st.integers(1, 12)),
        "symptomatic": st.booleans(),
        "findings": st.lists(st.sampled_from(FINDINGS), max_size=2, unique=True),
    }
)

therapies = st.fixed_dictionaries(
    {
        "setting": st.sampled_from(["neoadjuvant", "adjuvant", "metastatic"]),
        "drugs": st.lists(st.sampled_from(ANTICANCER), min_size=1, max_size=3, unique=True),
        "months_on_treatment": _optional(st.integers(0, 80)),
        "ended_because": st.sampled_from(["completed", "progression", "toxicity"]),
    }
)

labs = st.fixed_dictionaries(
    {},
    optional={
        "bilirubin_x_uln": st.floats(0.2, 4, allow_nan=False),
        "alt_x_uln": st.floats(0.2, 6, allow_nan=False),
        "creatinine_clearance_ml_min": st.floats(10, 150, allow_nan=False),
        "lvef_percent": st.floats(25, 75, allow_nan=False),
        "neutrophils_10e9_l": st.floats(0.3, 8, allow_nan=False),
        "hba1c_percent": st.floats(4.5, 11, allow_nan=False),
    },
)

biomarkers = st.fixed_dictionaries(
    {},
    optional={
        "pik3ca": st.sampled_from(["mutated", "wild_type"]),
        "akt1": st.sampled_from(["mutated", "wild_type"]),
        "pten": st.sampled_from(["mutated", "wild_type"]),
        "esr1": st.sampled_from(["mutated", "wild_type"]),
        "gbrca": st.sampled_from(["none", "brca1", "brca2"]),
        "pd_l1_cps": st.integers(0, 100),
        "pd_l1_sp142_ic_percent": st.integers(0, 10),
        "msi_high": st.booleans(),
        "ntrk_fusion": st.booleans(),
    },
)


@st.composite
def _pregnancy(draw: st.DrawFn, sex: str) -> dict[str, Any]:
    """Pregnancy state (women only) with gestational weeks exactly when pregnant (contract §1)."""
    state = draw(st.sampled_from(["none", "none", "pregnant", "breastfeeding"])) if sex == "female" else "none"
    return {"pregnancy": state, **({"gestational_weeks": draw(st.integers(1, 42))} if state == "pregnant" else {})}


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    sex = draw(st.sampled_from(["female", "female", "female", "male"]))
    presentation = draw(st.sampled_from(["de_novo", "recurrent"]))
    history = draw(st.lists(therapies, max_size=4))
    if presentation == "de_novo":  # de novo disease has no (neo)adjuvant history (a contradiction otherwise)
        history = [{**entry, "setting": "metastatic"} for entry in history]
    return {
        "age": draw(st.integers(18, 100)),
        "sex": sex,
        "menopausal_status": draw(st.sampled_from(["pre", "peri", "post"])) if sex == "female" else None,
        "ecog": draw(st.integers(0, 4)),
        "tumor": draw(tumors()),
        "presentation": presentation,
        "disease_free_interval_months": draw(_optional(st.integers(0, 200))) if presentation == "recurrent" else None,
        "metastases": draw(st.lists(metastases, min_size=1, max_size=4)),
        "visceral_crisis": draw(st.booleans()),
        "symptoms": {
            "pain_score": draw(st.integers(0, 10)),
            "hypercalcemia": draw(st.booleans()),
            "neurological_deficit": draw(st.booleans()),
        },
        "labs": draw(labs),
        "biomarkers": draw(biomarkers),
        "prior_therapies": history,
        "comorbidities": draw(st.lists(st.sampled_from(COMORBIDITIES), max_size=3, unique=True)),
        "preferences": {
            "oral_only": draw(st.booleans()),
            "avoid_alopecia": draw(st.booleans()),
            "declines_chemotherapy": draw(st.booleans()),
        },
        **draw(_pregnancy(sex)),
    }
