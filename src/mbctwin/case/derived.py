"""Facts derived from a case, computed in this one place (spec ``case-and-plan.md`` §1).

Each function answers one clinical question the contract defines; the engine, the
simulators and the interfaces all read these rather than re-deriving them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mbctwin.case.models import Case, Metastasis, PriorTherapy, Tumor
from mbctwin.case.vocabulary import vocabulary

ENDOCRINE_AGENT_CLASSES = frozenset({"aromatase_inhibitor", "serm", "serd"})
OLIGOMETASTATIC_MAX_LESIONS = 5  # ESO-ESTRO / ABC: up to five lesions in total
ER_LOW_RANGE = (1.0, 10.0)  # ASCO/CAP 2020: ER 1-10 % is "ER-low positive"
PRIMARY_RESISTANCE_ADJUVANT_MONTHS = 24  # ABC: relapse during the first 2 years of adjuvant ET
PRIMARY_RESISTANCE_METASTATIC_MONTHS = 6  # ABC: progression within 6 months of 1st-line ET
ADJUVANT_FAILURE_WINDOW_MONTHS = 12  # contract: relapse during or within 12 months of adjuvant use
INDUCTION_MIN_MONTHS = 4  # contract §2: induction ends after 4-6 months (6-8 cycles) of chemotherapy
SHORT_CDK46_RESPONSE_MONTHS = 12  # ESMO: progression within 12 months of first-line ET + CDK4/6 inhibitor


def her2_category(tumor: Tumor) -> str:
    """positive / low / ultralow / zero / unknown (ASCO/CAP 2023; IHC 2+ needs ISH)."""
    if tumor.her2_ish == "amplified" or tumor.her2_ihc == "3+":
        return "positive"
    if tumor.her2_ihc == "2+":
        return "low" if tumor.her2_ish == "not_amplified" else "unknown"
    return {"1+": "low", "ultralow": "ultralow", "0": "zero"}.get(tumor.her2_ihc, "unknown")


def hr_positive(tumor: Tumor) -> bool:
    return "positive" in (tumor.er, tumor.pr)


def er_low(tumor: Tumor) -> bool:
    """ER 1-10 % with PR negative: counted HR+, but often behaves like triple-negative disease."""
    low, high = ER_LOW_RANGE
    return (
        tumor.er == "positive"
        and tumor.er_percent is not None
        and low <= tumor.er_percent <= high
        and tumor.pr == "negative"
    )


def subtype(tumor: Tumor) -> str:
    hr = "HR+" if hr_positive(tumor) else "HR-"
    her2 = her2_category(tumor)
    if her2 == "unknown":
        return f"{hr}/HER2 unknown"
    if her2 == "positive":
        return f"{hr}/HER2+"
    return "HR+/HER2-" if hr == "HR+" else "triple-negative"


def metastatic_lines(case: Case) -> list[PriorTherapy]:
    return [p for p in case.prior_therapies if p.setting == "metastatic"]


def line(case: Case) -> int:
    """1 + metastatic entries that ended with progression (an ongoing entry is the current line)."""
    return 1 + sum(p.ended_because == "progression" for p in metastatic_lines(case))


def ongoing_line(case: Case) -> PriorTherapy | None:
    lines = metastatic_lines(case)
    return lines[-1] if lines and lines[-1].ended_because == "ongoing" else None


def is_endocrine(entry: PriorTherapy) -> bool:
    return any(set(vocabulary().drugs[d].classes) & ENDOCRINE_AGENT_CLASSES for d in entry.drugs)


def is_chemotherapy(entry: PriorTherapy) -> bool:
    return "chemotherapy" in vocabulary().classes_of(entry.drugs)


def induction_complete(case: Case) -> bool:
    """The ongoing line holds chemotherapy given for at least 4 months with response or stable
    disease (contract §2): time for the maintenance regimen."""
    current = ongoing_line(case)
    return (
        current is not None
        and is_chemotherapy(current)
        and (current.months_on_treatment or 0) >= INDUCTION_MIN_MONTHS
        and current.best_response in ("CR", "PR", "SD")
    )


def short_first_line_cdk46(case: Case) -> bool | None:
    """Progression within 12 months of first-line endocrine therapy + CDK4/6 inhibitor (ESMO:
    chemotherapy or an ADC first next); None when that line's duration was not given."""
    lines = metastatic_lines(case)
    first = lines[0] if lines else None
    if first is None or first.ended_because != "progression":
        return False
    if not ({"cdk4_6_inhibitor"} & vocabulary().classes_of(first.drugs)):
        return False
    if first.months_on_treatment is None:
        return None
    return first.months_on_treatment < SHORT_CDK46_RESPONSE_MONTHS


def months_before_metastasis(case: Case) -> list[tuple[PriorTherapy, float | None]]:
    """For each (neo)adjuvant entry: months from its end to metastasis (0 = relapse during it).

    The disease-free interval runs from the end of the *last* (neo)adjuvant treatment; earlier
    entries are taken as given one after another, so their interval adds the later durations.
    ``None`` where the interval cannot be known (no DFI, or a later entry without duration).
    """
    early = [p for p in case.prior_therapies if p.setting != "metastatic"]
    result: list[tuple[PriorTherapy, float | None]] = []
    for i, entry in enumerate(early):
        if entry.ended_because in ("progression", "ongoing"):
            result.append((entry, 0.0))
            continue
        later = [p.months_on_treatment for p in early[i + 1 :]]
        if case.disease_free_interval_months is None or any(m is None for m in later):
            result.append((entry, None))
        else:
            result.append((entry, case.disease_free_interval_months + sum(later)))  # type: ignore[arg-type]
    return result


def failed_drugs(case: Case) -> dict[str, str]:
    """Drugs the disease has beaten: drug -> reason (contract §2; NSAIs fail together). A
    (neo)adjuvant drug whose relapse timing is unknown counts as failed (see
    :func:`unknown_relapse_timing`).

    Ovarian function suppression never fails: it is what makes endocrine therapy work in a
    premenopausal woman and continues with every later endocrine line (ABC guidelines)."""
    vocab = vocabulary()
    failed: dict[str, str] = {}
    for number, entry in enumerate(metastatic_lines(case), start=1):
        if entry.ended_because == "progression":
            for drug in _beatable(entry.drugs):
                for same in sorted(vocab.equivalents(drug)):
                    failed.setdefault(same, f"progressed on {drug} in metastatic line {number}")
    for entry, months in months_before_metastasis(case):
        if months is None:
            reason = "relapse {when} {setting} {drug} not known (no disease-free interval): counted as failed"
        elif months <= ADJUVANT_FAILURE_WINDOW_MONTHS:
            reason = "relapse {when} {setting} {drug}"
        else:
            continue
        when = "timing after" if months is None else "during" if months == 0 else f"{months:g} months after"
        for drug in _beatable(entry.drugs):
            for same in sorted(vocab.equivalents(drug)):
                failed.setdefault(same, reason.format(when=when, setting=entry.setting, drug=drug))
    return failed


def unknown_relapse_timing(case: Case) -> list[PriorTherapy]:
    """(Neo)adjuvant entries whose end-to-relapse interval cannot be known: their drugs are counted as
    failed, so the plan suits an early as well as a late relapse (contract §1: safe either way)."""
    return [entry for entry, months in months_before_metastasis(case) if months is None]


def intolerant_drugs(case: Case) -> dict[str, str]:
    """Drugs stopped for toxicity in any setting, adjuvant included: drug -> reason (contract §2).

    Only the drugs of that entry: a letrozole intolerance does not bar anastrozole (switching
    aromatase inhibitor is the usual remedy), and every drug of a combination stopped for toxicity
    is barred because the case does not say which one caused it."""
    found: dict[str, str] = {}
    for entry in case.prior_therapies:
        if entry.ended_because == "toxicity":
            for drug in entry.drugs:
                found.setdefault(drug, f"stopped for toxicity ({entry.setting} {' + '.join(entry.drugs)})")
    return found


def _beatable(drugs: list[str]) -> list[str]:
    vocab = vocabulary()
    return [d for d in drugs if "ovarian_function_suppression" not in vocab.drugs[d].classes]


def _adjuvant_endocrine_resistance(case: Case) -> str | None:
    timed = [(p, m) for p, m in months_before_metastasis(case) if is_endocrine(p)]
    if not timed:
        return None
    relapsed_on = [p for p, m in timed if m == 0]
    if relapsed_on:
        months_on_et = sum(p.months_on_treatment or 0 for p, _ in timed)
        return "primary_resistance" if months_on_et < PRIMARY_RESISTANCE_ADJUVANT_MONTHS else "secondary_resistance"
    last_interval = timed[-1][1]
    if last_interval is not None and last_interval <= ADJUVANT_FAILURE_WINDOW_MONTHS:
        return "secondary_resistance"
    return None


def _metastatic_endocrine_resistance(case: Case) -> str | None:
    progressed = [p for p in metastatic_lines(case) if is_endocrine(p) and p.ended_because == "progression"]
    if not progressed:
        return None
    first = progressed[0]
    is_first_line_et = first is next((p for p in metastatic_lines(case) if is_endocrine(p)), None)
    quick = first.months_on_treatment is not None and first.months_on_treatment < PRIMARY_RESISTANCE_METASTATIC_MONTHS
    return "primary_resistance" if quick and is_first_line_et else "secondary_resistance"


def endocrine_resistance(case: Case) -> str:
    """ABC definitions: primary wins over secondary; HR-negative disease is not applicable."""
    if not hr_positive(case.tumor):
        return "not_applicable"
    found = {_adjuvant_endocrine_resistance(case), _metastatic_endocrine_resistance(case)}
    for label in ("primary_resistance", "secondary_resistance"):
        if label in found:
            return label
    return "sensitive"


def lesion_total(metastases: Iterable[Metastasis]) -> int | None:
    """Lesions in total; ``None`` when any count is unknown (never guessed)."""
    counts = [m.count for m in metastases]
    return None if None in counts else sum(c for c in counts if c is not None)


def total_lesions(case: Case) -> int | None:
    return lesion_total(case.metastases)


def oligometastatic(case: Case) -> bool:
    """Five or fewer lesions in total (ESO-ESTRO/ABC); an unknown count is never oligometastatic,
    so no metastasis-directed intent follows from a count nobody entered."""
    total = total_lesions(case)
    return total is not None and total <= OLIGOMETASTATIC_MAX_LESIONS


@dataclass(frozen=True)
class Derived:
    """Every derived fact of one case, computed once."""

    subtype: str
    her2_category: str
    hr_positive: bool
    er_low: bool
    line: int
    endocrine_resistance: str
    oligometastatic: bool
    failed_drugs: dict[str, str]
    intolerant_drugs: dict[str, str]

    @classmethod
    def of(cls, case: Case) -> Derived:
        return cls(
            subtype=subtype(case.tumor),
            her2_category=her2_category(case.tumor),
            hr_positive=hr_positive(case.tumor),
            er_low=er_low(case.tumor),
            line=line(case),
            endocrine_resistance=endocrine_resistance(case),
            oligometastatic=oligometastatic(case),
            failed_drugs=failed_drugs(case),
            intolerant_drugs=intolerant_drugs(case),
        )
