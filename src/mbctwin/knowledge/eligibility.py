"""Would a patient have been eligible for the trial (or subgroup) behind an effect?

Reads only the structured ``Eligibility`` of an effect (never its ``population`` label), so the
engine can cite the result that speaks for a patient and the course simulator can take the
efficacy of the population a virtual patient belongs to. A field the trial did not restrict (an
empty list, None) admits everyone; a fact the case does not record (a biomarker not tested) is not
held against the patient, because the engine's rules decide on tests, not the citation.
"""

from __future__ import annotations

from mbctwin.case.derived import her2_category, metastatic_lines, subtype
from mbctwin.case.models import Case
from mbctwin.case.vocabulary import vocabulary
from mbctwin.knowledge.schema import Eligibility

ALTERED = frozenset({"mutated", "brca1", "brca2", "carrier", True})  # values of case.models.Biomarkers


def class_members(name: str) -> frozenset[str]:
    """The drugs of a vocabulary class, or of every class of a group (``chemotherapy``)."""
    vocab = vocabulary()
    classes = vocab.groups.get(name, frozenset({name}))
    return frozenset(d for c in classes for d in vocab.classes[c])


def exposed_classes(drugs: set[str], names: list[str]) -> set[str]:
    """Those of ``names`` (classes or groups) that ``drugs`` contains a member of."""
    return {name for name in names if drugs & class_members(name)}


def misfits(eligibility: Eligibility, case: Case) -> list[str]:
    """Why the case falls outside the eligibility, one reason per criterion; empty = eligible."""
    return [reason for check in _CHECKS if (reason := check(eligibility, case))]


def admits(eligibility: Eligibility, case: Case) -> bool:
    return not misfits(eligibility, case)


def _subtype(e: Eligibility, case: Case) -> str | None:
    found = subtype(case.tumor)
    return f"subtype {found} not in {e.subtypes}" if e.subtypes and found not in e.subtypes else None


def _her2(e: Eligibility, case: Case) -> str | None:
    found = her2_category(case.tumor)
    known = found != "unknown"
    return f"HER2 {found} not in {e.her2}" if e.her2 and known and found not in e.her2 else None


def _menopause(e: Eligibility, case: Case) -> str | None:
    status = case.menopausal_status
    if e.menopausal_status and case.sex == "female" and status not in e.menopausal_status:
        return f"menopausal status {status} not in {e.menopausal_status}"
    return None


def _sex(e: Eligibility, case: Case) -> str | None:
    return f"sex {case.sex} not in {e.sex}" if e.sex and case.sex not in e.sex else None


def _presentation(e: Eligibility, case: Case) -> str | None:
    found = case.presentation
    return f"presentation {found} not in {e.presentation}" if e.presentation and found not in e.presentation else None


def _prior(e: Eligibility, case: Case) -> str | None:
    given = {d for p in case.prior_therapies for d in p.drugs}
    missing = [c for c in e.prior_required if c not in exposed_classes(given, [c])]
    present = sorted(exposed_classes(given, e.prior_excluded))
    if missing:
        return f"no prior {', '.join(missing)}"
    return f"prior {', '.join(present)} excluded" if present else None


def _prior_lines(e: Eligibility, case: Case) -> str | None:
    lines = [set(p.drugs) for p in metastatic_lines(case) if p.ended_because != "ongoing"]
    for name, allowed in e.prior_metastatic_lines.items():
        count = sum(bool(exposed_classes(drugs, [name])) for drugs in lines)
        if not allowed.admits(count):
            return f"{count} prior metastatic {name} lines outside {allowed.min}-{allowed.max}"
    return None


def _biomarkers(e: Eligibility, case: Case) -> str | None:
    values = case.biomarkers.model_dump()
    wild = [b for b in e.biomarkers if values[b] is not None and values[b] not in ALTERED]
    if wild:
        return f"{', '.join(wild)} not altered"
    tested = [b for b in e.biomarkers_any if values[b] is not None]
    if e.biomarkers_any and len(tested) == len(e.biomarkers_any) and not any(values[b] in ALTERED for b in tested):
        return f"none of {', '.join(e.biomarkers_any)} altered"
    return None


def _pd_l1(e: Eligibility, case: Case) -> str | None:
    cps, ic = case.biomarkers.pd_l1_cps, case.biomarkers.pd_l1_sp142_ic_percent
    if e.pd_l1_cps_min is not None and cps is not None and cps < e.pd_l1_cps_min:
        return f"PD-L1 CPS {cps:g} below {e.pd_l1_cps_min:g}"
    if e.pd_l1_sp142_ic_min_percent is not None and ic is not None and ic < e.pd_l1_sp142_ic_min_percent:
        return f"PD-L1 IC {ic:g} % below {e.pd_l1_sp142_ic_min_percent:g} %"
    return None


def _brain(e: Eligibility, case: Case) -> str | None:
    brain = [m for m in case.metastases if m.site in ("brain", "leptomeninges")]
    if e.brain_metastases == "required" and not brain:
        return "no brain metastases"
    if e.brain_metastases == "excluded" and brain:
        return "brain metastases excluded"
    if e.brain_metastases == "stable_allowed" and any(m.symptomatic for m in brain):
        return "symptomatic brain metastases excluded"
    return None


def _sites(e: Eligibility, case: Case) -> str | None:
    missing = set(e.sites_required) - {m.site for m in case.metastases}
    return f"no {', '.join(sorted(missing))} metastases" if missing else None


_CHECKS = (
    _subtype,
    _her2,
    _menopause,
    _sex,
    _presentation,
    _prior,
    _prior_lines,
    _biomarkers,
    _pd_l1,
    _brain,
    _sites,
)
