"""Would a patient have been eligible for the trial (or subgroup) behind an effect?

Reads only the structured ``Eligibility`` of an effect (never its ``population`` label), so the
engine can cite the result that speaks for a patient and the course simulator can take the
efficacy of the population a virtual patient belongs to. A field the trial did not restrict (an
empty list, None) admits everyone; a fact the case does not record (a biomarker not tested) is not
held against the patient, because the engine's rules decide on tests, not the citation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mbctwin.case.derived import her2_category, metastatic_lines, subtype
from mbctwin.case.models import Case
from mbctwin.case.vocabulary import vocabulary
from mbctwin.knowledge.kept import kept_by_identity, kept_in
from mbctwin.knowledge.schema import BIOMARKERS, Eligibility

ALTERED = frozenset({"mutated", "brca1", "brca2", "carrier", True})  # values of case.models.Biomarkers


def altered_biomarkers(case: Case) -> frozenset[str]:
    """The biomarkers ``case`` records as altered (mutated, carrier, present); untested ones are not among them."""
    values = case.biomarkers.model_dump()
    return frozenset(name for name in BIOMARKERS if values[name] in ALTERED)


@cache
def class_members(name: str) -> frozenset[str]:
    """The drugs of a vocabulary class, or of every class of a group (``chemotherapy``); kept, since
    the packaged vocabulary never changes in a process and a plan asks for the same names many times."""
    vocab = vocabulary()
    classes = vocab.groups.get(name, frozenset({name}))
    return frozenset(d for c in classes for d in vocab.classes[c])


def exposed_classes(drugs: set[str] | frozenset[str], names: list[str]) -> set[str]:
    """Those of ``names`` (classes or groups) that ``drugs`` contains a member of."""
    return {name for name in names if drugs & class_members(name)}


@dataclass(frozen=True)
class Patient:
    """What the criteria read of a case, worked out once: a plan judges one case against every trial
    effect behind every option, and each check would otherwise derive the same facts again."""

    case: Case
    subtype: str
    her2: str
    given: frozenset[str]  # every drug received, any setting
    finished_lines: tuple[frozenset[str], ...]  # drugs of each metastatic line that has ended
    biomarkers: dict[str, Any]
    sites: frozenset[str]
    judgements: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, case: Case) -> Patient:
        return cls(
            case=case,
            subtype=subtype(case.tumor),
            her2=her2_category(case.tumor),
            given=frozenset(d for p in case.prior_therapies for d in p.drugs),
            finished_lines=tuple(frozenset(p.drugs) for p in metastatic_lines(case) if p.ended_because != "ongoing"),
            biomarkers=case.biomarkers.model_dump(),
            sites=frozenset(m.site for m in case.metastases),
        )

    def misfits(self, eligibility: Eligibility) -> list[str]:
        """Why the patient falls outside the eligibility, one reason per criterion; empty = eligible."""
        return self._reasons(eligibility, _restricting(eligibility).every)

    def sequence_misfits(self, eligibility: Eligibility) -> list[str]:
        """Misfits in where the patient is in her disease: the classes and lines received before."""
        return self._reasons(eligibility, _restricting(eligibility).sequence)

    def population_misfits(self, eligibility: Eligibility) -> list[str]:
        """Misfits in who the patient is: every criterion but the sequence of treatment."""
        return self._reasons(eligibility, _restricting(eligibility).population)

    def judged(self, eligibility: Eligibility) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Population and sequence misfits together, as the engine weighs them for every trial effect.
        Kept for this patient by the eligibility's content: a trial's endpoints, and the trials behind
        a plan's several options, often repeat one enrolled population."""
        checks = _restricting(eligibility)
        return kept_in(self.judgements, checks.content, self._judge, eligibility, checks)

    def _judge(self, eligibility: Eligibility, checks: _Restricting) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(self._reasons(eligibility, checks.population)), tuple(self._reasons(eligibility, checks.sequence))

    def _reasons(self, eligibility: Eligibility, checks: tuple[Check, ...]) -> list[str]:
        return [reason for check in checks if (reason := check(eligibility, self))]


def misfits(eligibility: Eligibility, case: Case) -> list[str]:
    """Why the case falls outside the eligibility, one reason per criterion; empty = eligible."""
    return Patient.of(case).misfits(eligibility)


def admits(eligibility: Eligibility, case: Case) -> bool:
    return not misfits(eligibility, case)


def _subtype(e: Eligibility, p: Patient) -> str | None:
    return f"subtype {p.subtype} not in {e.subtypes}" if e.subtypes and p.subtype not in e.subtypes else None


def _her2(e: Eligibility, p: Patient) -> str | None:
    known = p.her2 != "unknown"
    return f"HER2 {p.her2} not in {e.her2}" if e.her2 and known and p.her2 not in e.her2 else None


def _menopause(e: Eligibility, p: Patient) -> str | None:
    status = p.case.menopausal_status
    if e.menopausal_status and p.case.sex == "female" and status not in e.menopausal_status:
        return f"menopausal status {status} not in {e.menopausal_status}"
    return None


def _sex(e: Eligibility, p: Patient) -> str | None:
    return f"sex {p.case.sex} not in {e.sex}" if e.sex and p.case.sex not in e.sex else None


def _presentation(e: Eligibility, p: Patient) -> str | None:
    found = p.case.presentation
    return f"presentation {found} not in {e.presentation}" if e.presentation and found not in e.presentation else None


def _prior(e: Eligibility, p: Patient) -> str | None:
    missing = [c for c in e.prior_required if not p.given & class_members(c)]
    present = sorted(exposed_classes(p.given, e.prior_excluded))
    if missing:
        return f"no prior {', '.join(missing)}"
    return f"prior {', '.join(present)} excluded" if present else None


def _prior_lines(e: Eligibility, p: Patient) -> str | None:
    for name, allowed in e.prior_metastatic_lines.items():
        members = class_members(name)
        count = sum(bool(drugs & members) for drugs in p.finished_lines)
        if not allowed.admits(count):
            return f"{count} prior metastatic {name} lines outside {allowed.min}-{allowed.max}"
    return None


def _biomarkers(e: Eligibility, p: Patient) -> str | None:
    values = p.biomarkers
    wild = [b for b in e.biomarkers if values[b] is not None and values[b] not in ALTERED]
    if wild:
        return f"{', '.join(wild)} not altered"
    tested = [b for b in e.biomarkers_any if values[b] is not None]
    if e.biomarkers_any and len(tested) == len(e.biomarkers_any) and not any(values[b] in ALTERED for b in tested):
        return f"none of {', '.join(e.biomarkers_any)} altered"
    return None


def _pd_l1(e: Eligibility, p: Patient) -> str | None:
    cps, ic = p.case.biomarkers.pd_l1_cps, p.case.biomarkers.pd_l1_sp142_ic_percent
    if e.pd_l1_cps_min is not None and cps is not None and cps < e.pd_l1_cps_min:
        return f"PD-L1 CPS {cps:g} below {e.pd_l1_cps_min:g}"
    if e.pd_l1_sp142_ic_min_percent is not None and ic is not None and ic < e.pd_l1_sp142_ic_min_percent:
        return f"PD-L1 IC {ic:g} % below {e.pd_l1_sp142_ic_min_percent:g} %"
    return None


def _brain(e: Eligibility, p: Patient) -> str | None:
    brain = [m for m in p.case.metastases if m.site in ("brain", "leptomeninges")]
    if e.brain_metastases == "required" and not brain:
        return "no brain metastases"
    if e.brain_metastases == "excluded" and brain:
        return "brain metastases excluded"
    if e.brain_metastases == "stable_allowed" and any(m.symptomatic for m in brain):
        return "symptomatic brain metastases excluded"
    return None


def _sites(e: Eligibility, p: Patient) -> str | None:
    missing = set(e.sites_required) - p.sites
    return f"no {', '.join(sorted(missing))} metastases" if missing else None


Check = Callable[[Eligibility, Patient], str | None]
_CHECKS: tuple[Check, ...] = (
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
_SEQUENCE: tuple[Check, ...] = (_prior, _prior_lines)  # where in the disease: prior classes and lines
_POPULATION = tuple(check for check in _CHECKS if check not in _SEQUENCE)  # who the patient is
_READS: dict[Check, tuple[str, ...]] = {  # the fields of Eligibility each check reads
    _subtype: ("subtypes",),
    _her2: ("her2",),
    _menopause: ("menopausal_status",),
    _sex: ("sex",),
    _presentation: ("presentation",),
    _prior: ("prior_required", "prior_excluded"),
    _prior_lines: ("prior_metastatic_lines",),
    _biomarkers: ("biomarkers", "biomarkers_any"),
    _pd_l1: ("pd_l1_cps_min", "pd_l1_sp142_ic_min_percent"),
    _brain: ("brain_metastases",),
    _sites: ("sites_required",),
}


@dataclass(frozen=True)
class _Restricting:
    """The checks of one eligibility whose fields it sets, in the order of ``_CHECKS``, and its content
    (equal for equal eligibilities, which judge a patient alike)."""

    content: str
    every: tuple[Check, ...]
    sequence: tuple[Check, ...]
    population: tuple[Check, ...]


@kept_by_identity(limit=4096)  # one per trial effect of the knowledge bases in use
def _restricting(eligibility: Eligibility) -> _Restricting:
    """Checks that can find a misfit: a field the trial did not restrict (empty, None) admits everyone,
    and most effects restrict two or three of the eleven, so a plan judging a patient against every
    effect behind every option skips the rest (kept per eligibility: records never change once loaded)."""
    every = tuple(c for c in _CHECKS if any(getattr(eligibility, f) not in (None, [], {}) for f in _READS[c]))
    return _Restricting(
        eligibility.model_dump_json(),
        every,
        tuple(c for c in every if c in _SEQUENCE),
        tuple(c for c in every if c in _POPULATION),
    )
