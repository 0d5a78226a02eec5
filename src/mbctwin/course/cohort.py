"""Virtual cohorts as a structure of arrays, drawn from a template case.

A cohort keeps one or a few template cases (the engine reads them) and per-patient arrays
for what varies: age, ECOG, presentation and metastatic sites. The ``vary`` grammar is the
one of the in-silico trial spec (shared spec ``course-targets.md`` §1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mbctwin.case.derived import Derived
from mbctwin.case.models import SITES, Case
from mbctwin.errors import CaseError, FieldProblem

VISCERAL = frozenset({"lung", "liver", "pleura", "peritoneum", "adrenal"})
SITE_INDEX = {site: i for i, site in enumerate(SITES)}
EFFICACY_SUBTYPE = {"HR+/HER2 unknown": "HR+/HER2-", "HR-/HER2 unknown": "triple-negative"}
VARY_SCALARS = {"age", "ecog", "presentation", "menopausal_status", "disease_free_interval_months"}


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
    raise CaseError(
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
    """Draw ``n`` patients around a template (trial populations, cohorts)."""
    vary = dict(vary or {})
    unknown = set(vary) - VARY_SCALARS - {"visceral_fraction"}
    if unknown:
        raise CaseError([FieldProblem(f"vary.{sorted(unknown)[0]}", "cannot be varied (scalar case fields only)")])
    age = _draw(vary["age"], n, rng, "age").astype(float) if "age" in vary else np.full(n, float(case.age))
    ecog = _draw(vary["ecog"], n, rng, "ecog").astype(np.int8) if "ecog" in vary else np.full(n, case.ecog, np.int8)
    presentation = (
        _draw(vary["presentation"], n, rng, "presentation")
        if "presentation" in vary
        else np.full(n, case.presentation, dtype=object)
    )
    fraction = vary.get("visceral_fraction")
    keep = rng.random(n) < fraction if fraction is not None else np.ones(n, dtype=bool)
    de_novo = presentation.astype(str) == "de_novo"
    code = de_novo.astype(np.int16) * 2 + keep  # 4 possible variants of the template
    used = np.unique(code)
    templates = [_variant(case, "de_novo" if c >= 2 else "recurrent", bool(c % 2)) for c in used]
    lookup = np.zeros(4, dtype=np.int16)
    lookup[used] = np.arange(len(used), dtype=np.int16)
    template = lookup[code]
    masks = np.array([_site_mask(t) for t in templates])
    return Cohort(
        templates=tuple(templates),
        template=template,
        age=np.rint(age),
        female=np.full(n, case.sex == "female"),
        ecog=ecog,
        subtype=tuple(_subtype(t) for t in templates),
        sites=masks[template],
    )


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
        values, code = np.unique(np.asarray(variants[name]).astype(str), return_inverse=True)
        levels.append(values)
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
            fields[name] = str(values[index])
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
