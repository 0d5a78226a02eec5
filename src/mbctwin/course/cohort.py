"""Virtual cohorts as a structure of arrays, drawn from a template case.

A cohort keeps one or a few template cases (the engine reads them) and per-patient arrays
for what varies: age, ECOG, presentation and metastatic sites. The ``vary`` grammar is the
one of the in-silico trial spec (shared spec ``course-targets.md`` §1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args, get_origin

import numpy as np
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from mbctwin.case.derived import Derived
from mbctwin.case.models import SITES, Case, Tumor
from mbctwin.errors import FieldProblem, PopulationError

VISCERAL = frozenset({"lung", "liver", "pleura", "peritoneum", "adrenal"})
SITE_INDEX = {site: i for i, site in enumerate(SITES)}
EFFICACY_SUBTYPE = {"HR+/HER2 unknown": "HR+/HER2-", "HR-/HER2 unknown": "triple-negative"}
NOT_VARIED = frozenset({"id"})  # scalar, but naming a case, not describing a patient


@dataclass(frozen=True)
class Cohort:
    """Patients as arrays; shapes (n,) unless noted. ``templates[template[i]]`` is patient i's case."""

    templates: tuple[Case, ...]
    template: np.ndarray  # int16
    age: np.ndarray  # float64, years at the start of the simulated course
    female: np.ndarray  # bool
    ecog: np.ndarray  # int8
    subtype: tuple[str, ...]  # per template: subtype used for efficacy and tropism
    sites: np.ndarray  # bool (n, len(SITES))
    population: bool = True  # a drawn population (its own prognostic reference), not copies of one patient
    calendar: np.ndarray | None = None  # float64 calendar year at the start (trials, dated cohorts); None = today

    @property
    def size(self) -> int:
        return int(self.template.shape[0])

    def take(self, index: np.ndarray | slice) -> Cohort:
        """A sub-cohort (a block of patients) sharing the templates."""
        return Cohort(
            self.templates,
            self.template[index],
            self.age[index],
            self.female[index],
            self.ecog[index],
            self.subtype,
            self.sites[index],
            self.population,
            None if self.calendar is None else self.calendar[index],
        )


def concatenate(cohorts: Sequence[Cohort]) -> Cohort:
    """One drawn population from several (the strata of a trial), patients in the given order; each
    keeps its own templates, which the combined cohort lists one after another."""
    if len(cohorts) == 1:
        return cohorts[0]
    offsets = np.cumsum([0, *(len(c.templates) for c in cohorts[:-1])])
    calendars = [c.calendar for c in cohorts]
    return Cohort(
        templates=tuple(t for c in cohorts for t in c.templates),
        template=np.concatenate([c.template + o for c, o in zip(cohorts, offsets, strict=True)]).astype(np.int16),
        age=np.concatenate([c.age for c in cohorts]),
        female=np.concatenate([c.female for c in cohorts]),
        ecog=np.concatenate([c.ecog for c in cohorts]),
        subtype=tuple(s for c in cohorts for s in c.subtype),
        sites=np.concatenate([c.sites for c in cohorts]),
        population=all(c.population for c in cohorts),
        calendar=None if any(c is None for c in calendars) else np.concatenate(calendars),  # type: ignore[arg-type]
    )


def with_template_groups(cohort: Cohort, group: np.ndarray, groups: int) -> Cohort:
    """The cohort with its templates repeated ``groups`` times and patient i moved to copy ``group[i]``:
    the same cases, told apart by index so that a policy can differ between groups of patients (the
    control patients of a trial who later cross over to the experimental drugs)."""
    count = len(cohort.templates)
    return replace(
        cohort,
        templates=cohort.templates * groups,
        template=(cohort.template + group * count).astype(np.int16),
        subtype=cohort.subtype * groups,
    )


def _site_mask(case: Case) -> np.ndarray:
    mask = np.zeros(len(SITES), dtype=bool)
    mask[[SITE_INDEX[m.site] for m in case.metastases]] = True
    return mask


def _subtype(case: Case) -> str:
    derived = Derived.of(case).subtype
    return EFFICACY_SUBTYPE.get(derived, derived)


def from_case(case: Case, n: int) -> Cohort:
    """``n`` copies of one patient: the cohort for "what will happen to this patient"."""
    return Cohort(
        templates=(case,),
        template=np.zeros(n, dtype=np.int16),
        age=np.full(n, float(case.age)),
        female=np.full(n, case.sex == "female"),
        ecog=np.full(n, case.ecog, dtype=np.int8),
        subtype=(_subtype(case),),
        sites=np.tile(_site_mask(case), (n, 1)),
        population=False,
    )


def _draw(spec: Any, n: int, rng: np.random.Generator, field: str) -> np.ndarray:
    if isinstance(spec, dict) and "normal" in spec:
        mean, sd = spec["normal"]
        values = rng.normal(mean, sd, n)
        if "clip" in spec:
            values = np.clip(values, *spec["clip"])
        return values
    if isinstance(spec, dict) and "choice" in spec:
        choices = list(spec["choice"])
        p = spec.get("p")
        return np.asarray(choices, dtype=object)[rng.choice(len(choices), size=n, p=p)]
    raise PopulationError(
        [FieldProblem(f"vary.{field}", "expected {normal: [mean, sd], clip: [lo, hi]} or {choice: [...], p: [...]}")]
    )


def _variant(case: Case, presentation: str, keep_visceral: bool) -> Case:
    data = case.model_dump(mode="json")
    if presentation == "de_novo":
        data["presentation"] = "de_novo"
        data["disease_free_interval_months"] = None
        data["prior_therapies"] = [p for p in data["prior_therapies"] if p["setting"] == "metastatic"]
    else:
        data["presentation"] = "recurrent"
    if not keep_visceral:
        kept = [m for m in data["metastases"] if m["site"] not in VISCERAL]
        data["metastases"] = kept or [{"site": "bone", "count": 1, "symptomatic": False, "findings": []}]
    return Case.model_validate(data)


def from_template(case: Case, n: int, vary: dict[str, Any] | None, rng: np.random.Generator) -> Cohort:
    """Draw ``n`` patients around a template (trial populations, cohorts).

    ``vary`` follows the trial-spec grammar: any scalar field of the case, top level or ``tumor.*``,
    drawn per patient (normal draws are rounded for integer fields and to one decimal otherwise, so
    that patients share template cases), and ``visceral_fraction``. Age and ECOG become per-patient
    arrays; every other varied field gives one template case per distinct combination of values.
    """
    vary = dict(vary or {})
    fraction = vary.pop("visceral_fraction", None)
    for name in vary:
        if _scalar_field(name) is None or name in NOT_VARIED:
            raise PopulationError([FieldProblem(f"vary.{name}", "cannot be varied (scalar case fields only)")])
    age = _draw(vary.pop("age"), n, rng, "age").astype(float) if "age" in vary else np.full(n, float(case.age))
    ecog = np.rint(_draw(vary.pop("ecog"), n, rng, "ecog").astype(float)) if "ecog" in vary else np.full(n, case.ecog)
    for name, values in (("age", np.rint(age)), ("ecog", ecog)):
        low, high = _bounds(name)
        if values.min() < low or values.max() > high:
            raise PopulationError(
                [FieldProblem(f"vary.{name}", f"draws must lie in {low}-{high}: add a clip or fix the choices")]
            )
    variants = {}
    if "presentation" in vary:
        variants["presentation"] = _draw(vary.pop("presentation"), n, rng, "presentation")
    sites = np.tile(_site_mask(case), (n, 1))
    if fraction is not None:
        sites[rng.random(n) >= fraction] = _site_mask(_variant(case, case.presentation, keep_visceral=False))
    for name in sorted(vary):
        values = _draw(vary[name], n, rng, name)
        if "normal" in vary[name]:
            values = np.rint(values).astype(int) if _integer_field(name) else np.round(values, 1)
        variants[name] = values
    try:
        return from_arrays(case, age, ecog.astype(np.int8), sites, variants)
    except ValidationError as error:
        where = ", ".join(f"vary.{name}" for name in sorted(variants)) or "vary"
        detail = error.errors()[0]
        raise PopulationError([FieldProblem(where, f"a drawn patient is not a valid case: {detail['msg']}")]) from None


def _scalar_field(name: str) -> Any:
    """The pydantic field a ``vary`` name points at (top level or ``tumor.*``), if it holds one value."""
    owner, attr = (Tumor, name.removeprefix("tumor.")) if name.startswith("tumor.") else (Case, name)
    field = owner.model_fields.get(attr)
    if field is None or any(_structured(t) for t in _base_types(field.annotation)):
        return None
    return field


def _bounds(name: str) -> tuple[float, float]:
    """The case model's (ge, le) bounds of a top-level numeric field (age 18-110, ECOG 0-4)."""
    metadata = Case.model_fields[name].metadata
    low = next(m.ge for m in metadata if getattr(m, "ge", None) is not None)
    high = next(m.le for m in metadata if getattr(m, "le", None) is not None)
    return low, high


def _integer_field(name: str) -> bool:
    types = _base_types(_scalar_field(name).annotation)
    return int in types and float not in types


def _base_types(annotation: Any) -> set[type]:
    if get_origin(annotation) is Literal:
        return {type(v) for v in get_args(annotation)}
    args = get_args(annotation)
    if args:
        return set().union(*(_base_types(a) for a in args if not isinstance(a, FieldInfo)))
    return {annotation} if isinstance(annotation, type) else set()


def _structured(kind: type) -> bool:
    return kind in (list, dict) or (isinstance(kind, type) and issubclass(kind, BaseModel))


def _python(value: Any) -> Any:
    """A NumPy scalar as the Python value a case field validates."""
    return value.item() if isinstance(value, np.generic) else value


def _with_fields(case: Case, fields: dict[str, Any]) -> Case:
    """``case`` with some scalar fields replaced; ``tumor.her2_ihc`` style names reach nested fields."""
    presentation = fields.get("presentation")
    base = _variant(case, presentation, keep_visceral=True) if presentation is not None else case
    data = base.model_dump(mode="json")
    for name, value in fields.items():
        if name == "presentation":
            continue
        *path, last = name.split(".")
        target = data
        for part in path:
            target = target[part]
        target[last] = value
    return Case.model_validate(data)


def from_arrays(
    case: Case, age: np.ndarray, ecog: np.ndarray, sites: np.ndarray, variants: dict[str, np.ndarray]
) -> Cohort:
    """Patients given as arrays around one template (virtual cohorts of ``mbc cohort``).

    ``variants`` holds per-patient values of categorical case fields (``presentation``,
    ``menopausal_status``, ``tumor.her2_ihc``, ...): each distinct combination becomes one template
    case (presentation changes as in :func:`from_template`). ``sites`` (n, len(SITES)) are each
    patient's sites at the start, whatever the template's own metastases; those only give the
    details (count, symptoms) of a site the template lists.
    """
    n = age.shape[0]
    names = sorted(variants)
    codes = []
    levels = []
    for name in names:
        raw = np.asarray(variants[name])
        _, first, code = np.unique(raw.astype(str), return_index=True, return_inverse=True)
        levels.append([_python(raw[i]) for i in first])
        codes.append(code.reshape(-1))
    combined = np.zeros(n, dtype=np.int64)
    for values, code in zip(levels, codes, strict=True):
        combined = combined * len(values) + code
    used, template = np.unique(combined, return_inverse=True)
    templates = []
    for key in used:
        fields, rest = {}, int(key)
        for name, values in reversed(list(zip(names, levels, strict=True))):
            rest, index = divmod(rest, len(values))
            fields[name] = values[index]
        templates.append(_with_fields(case, fields))
    return Cohort(
        templates=tuple(templates),
        template=template.reshape(-1).astype(np.int16),
        age=np.rint(np.asarray(age, dtype=float)),
        female=np.full(n, case.sex == "female"),
        ecog=np.asarray(ecog).astype(np.int8),
        subtype=tuple(_subtype(t) for t in templates),
        sites=np.asarray(sites, dtype=bool).copy(),
    )
