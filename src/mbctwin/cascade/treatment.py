"""A patient case and a regimen as cascade parameters: tumour biology and treatments acting on cells.

``config_from_case(case)`` maps (documented choices, no published mapping exists for this model):

- subtype (``mbctwin.case.derived.subtype``) → organ tropism of :data:`KAPLAN_SITE_PERCENT`; HER2
  unknown counts as HER2- (HR+) or the mean of HER2+ and triple-negative columns (HR-);
- Ki-67 → proliferation: doubling times divided by ``clip(Ki-67 / 20 %, 0.5, 2)`` (20 % is the
  St Gallen luminal A/B cut-off; a Ki-67 of 40 % halves the doubling time); without Ki-67,
  grade 1 / 2 / 3 → factor 0.75 / 1 / 1.5;
- ER fraction of cells = ``er_percent`` / 100 (ASCO/CAP: ER ≥ 1 % positive), else 0.9 if ER+;
  HER2 fraction 0.9 if HER2-positive (IHC 3+ means > 10 % of cells stain; 0.9 chosen), else 0.

``therapies_from("letrozole_ribociclib", start_step=S)`` maps the drug classes of the vocabulary
(``vocabulary().classes_of``) to effects: endocrine and CDK4/6 inhibitors → endocrine (ER+ cells stop
dividing), anti-HER2 → anti_her2, every drug whose vocabulary attribute ``cytotoxic`` is true
(chemotherapy, and the payload of anti-HER2 / TROP2 ADCs) → chemotherapy doses. Other classes
(PARP, PI3K, immunotherapy …) have no cell-level effect here and are returned as ignored.
"""

from __future__ import annotations

from typing import Any

from mbctwin.cascade.config import CascadeConfig
from mbctwin.cascade.extensions import ExtendedConfig, Organ, Therapy, default_organs

REFERENCE_KI67 = 20.0
GRADE_FACTOR = {1: 0.75, 2: 1.0, 3: 1.5}
CLASS_EFFECTS = {
    "endocrine": "endocrine",
    "cdk4_6_inhibitor": "endocrine",
    "anti_her2": "anti_her2",
    "ovarian_function_suppression": "endocrine",
    "chemotherapy": "chemotherapy",
}
CYTOTOXIC_EFFECT = "chemotherapy"  # any drug whose vocabulary attribute ``cytotoxic`` is true (ADC payloads too)


def proliferation_factor(ki67: float | None, grade: int | None) -> float:
    """How much faster than the published defaults cells divide (1.0: unchanged)."""
    if ki67 is not None:
        return min(max(ki67 / REFERENCE_KI67, 0.5), 2.0)
    return GRADE_FACTOR.get(grade or 2, 1.0)


def _tropism_subtype(subtype: str) -> str:
    if subtype.startswith("HR+") and "unknown" in subtype:
        return "HR+/HER2-"
    return "HR-/HER2 unknown" if "unknown" in subtype else subtype


def _organs_for(subtype: str) -> tuple[Organ, ...]:
    organs = default_organs()
    if subtype != "HR-/HER2 unknown":
        return organs
    mixed = {o.name: (o.tropism["HR-/HER2+"] + o.tropism["triple-negative"]) / 2 for o in organs}
    return tuple(o.model_copy(update={"tropism": o.tropism | {subtype: mixed[o.name]}}) for o in organs)


def config_from_case(case: Any, core: CascadeConfig | None = None, **changes: Any) -> ExtendedConfig:
    """An :class:`ExtendedConfig` for a :class:`mbctwin.case.models.Case` (see the module docstring)."""
    from mbctwin.case import derived

    core = core or CascadeConfig()
    tumor = case.tumor
    factor = proliferation_factor(tumor.ki67_percent, tumor.grade)
    core = core.model_copy(
        update={
            "doubling_time_mesenchymal": max(1, round(core.doubling_time_mesenchymal / factor)),
            "doubling_time_epithelial": max(1, round(core.doubling_time_epithelial / factor)),
        }
    )
    subtype = _tropism_subtype(derived.subtype(tumor))
    er = tumor.er_percent / 100 if tumor.er_percent is not None else (0.9 if tumor.er == "positive" else 0.0)
    her2 = 0.9 if derived.her2_category(tumor) == "positive" else 0.0
    fields = {
        "core": core,
        "subtype": subtype,
        "organs": _organs_for(subtype),
        "er_fraction": er,
        "her2_fraction": her2,
    }
    return ExtendedConfig.model_validate(fields | changes)


def regimen_drugs(name: str) -> list[str]:
    """A knowledge-base regimen id, or drugs joined by ``,`` or ``+``."""
    from mbctwin.knowledge.loader import load_kb

    regimens = load_kb().regimens
    if name in regimens:
        return list(regimens[name].drugs)
    return [d.strip() for d in name.replace("+", ",").split(",") if d.strip()]


def therapies_from(name: str, start_step: int = 0, **options: Any) -> tuple[tuple[Therapy, ...], list[str]]:
    """Therapies for a regimen or drugs from ``start_step`` and the classes with no cell-level effect.

    ``options`` (e.g. ``kill``, ``cycle_steps``, ``inhibition``) apply to every therapy that has them.
    Raises ``KeyError`` for a drug the vocabulary does not know.
    """
    from mbctwin.case.vocabulary import vocabulary

    vocab = vocabulary()
    drugs = regimen_drugs(name)
    classes = vocab.classes_of(drugs)
    cytotoxic = {c for d in drugs if vocab.drugs[d].attribute("cytotoxic") is True for c in vocab.drugs[d].classes}
    kinds = sorted(
        {CLASS_EFFECTS[c] for c in classes if c in CLASS_EFFECTS} | ({CYTOTOXIC_EFFECT} if cytotoxic else set())
    )
    ignored = sorted(c for c in classes if c not in CLASS_EFFECTS and c not in cytotoxic and not _covered(c, classes))
    therapies = (Therapy.model_validate({"kind": k, "start_step": start_step} | options) for k in kinds)
    return tuple(therapies), ignored


def _covered(cls: str, classes: set[str]) -> bool:
    """A sub-class (e.g. aromatase_inhibitor) whose parent class already has an effect."""
    return any(parent in classes for parent in CLASS_EFFECTS) and cls in SUBCLASSES


SUBCLASSES = {
    "aromatase_inhibitor",
    "serd",
    "serm",
    "taxane",
    "antimetabolite",
    "anthracycline",
    "anti_her2_antibody",
    "anti_her2_tki",
    "vinca_alkaloid",
    "platinum",
}
