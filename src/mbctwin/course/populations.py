"""Virtual populations for ``mbc cohort``: cohort definitions, published site targets, summaries.

A cohort definition (``knowledge/data/course/cohorts.yaml``) gives, per subtype, a template case
and the published distributions each virtual patient is drawn from: presentation (de novo or
recurrent), age, ECOG, menopausal status, HER2-low share and the metastatic sites at diagnosis of
metastatic disease. :func:`build_cohort` draws the patients as arrays (:class:`Cohort`);
:func:`run_cohort` simulates them; its :meth:`CohortRun.summary` is ``mbc cohort --format json``.

The site targets (``site_targets.yaml``, Kaplan 2016) are the share of relapsed patients with each
site at any time; ``benchmarks/course_sites.py`` fits the per-progression site probabilities of
``structure.yaml`` to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from statistics import NormalDist
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mbctwin.case.io import parse_case, problems_from
from mbctwin.case.models import SITES, Case, Site
from mbctwin.course.availability import packaged_availability
from mbctwin.course.cohort import SITE_INDEX, Cohort, from_arrays
from mbctwin.course.model import CourseModel
from mbctwin.course.params import SUBTYPES, CourseParams, course_file_text
from mbctwin.course.policy import EnginePolicy
from mbctwin.course.result import SUMMARY_SITES, CourseResult
from mbctwin.errors import CaseError, FieldProblem, InputError, OptionError, PopulationError, TargetsError
from mbctwin.knowledge.loader import KnowledgeBase, load_kb
from mbctwin.results import Result
from mbctwin.seeds import recorded_seed

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PRESENTATIONS = ("any", "de_novo", "recurrent")
Probability = Annotated[float, Field(ge=0, le=1)]
Percent = Annotated[float, Field(ge=0, le=100)]
SourceIds = Annotated[list[str], Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------
# Cohort definitions
# --------------------------------------------------------------------------------------------


class CitedValue(_Strict):
    value: float
    source: SourceIds
    note: str


class Share(_Strict):
    value: Probability
    source: SourceIds
    note: str


class EcogMix(_Strict):
    values: Annotated[list[Annotated[int, Field(ge=0, le=4)]], Field(min_length=1)]
    p: Annotated[list[Probability], Field(min_length=1)]
    source: SourceIds
    note: str

    @model_validator(mode="after")
    def _distribution(self) -> EcogMix:
        if len(self.values) != len(self.p):
            raise ValueError("values and p need the same length")
        if abs(sum(self.p) - 1) > 1e-6:
            raise ValueError(f"p must sum to 1, sums to {sum(self.p):g}")
        return self


class FallbackSite(_Strict):
    value: Site
    note: str


class SiteShares(_Strict):
    """Per-site probability that a patient has the site (drawn independently of the others)."""

    p: Annotated[dict[Site, Probability], Field(min_length=1)]
    source: SourceIds
    note: str


class Shared(_Strict):
    age_sd: CitedValue
    age_clip: tuple[Annotated[float, Field(ge=18)], Annotated[float, Field(le=110)]]
    ecog: EcogMix
    fallback_site: FallbackSite
    de_novo_sites_all_subtypes: SiteShares
    recurrent_first_over_ever: SiteShares


class AgeSpec(_Strict):
    mean: Annotated[float, Field(ge=18, le=110)]
    source: SourceIds
    note: str


class Sites(_Strict):
    de_novo: SiteShares
    recurrent: SiteShares


class SubtypeDefinition(_Strict):
    aliases: list[str] = Field(default_factory=list)
    template: dict[str, Any]
    template_note: str
    age: AgeSpec
    de_novo_share: Share
    premenopausal_share: Share
    her2_low_share: Share | None = None
    sites: Sites


class CohortDefinitions(_Strict):
    """The parsed ``cohorts.yaml``: shared distributions and one definition per subtype."""

    shared: Shared
    subtypes: dict[str, SubtypeDefinition]

    @model_validator(mode="after")
    def _complete(self) -> CohortDefinitions:
        missing = [s for s in SUBTYPES if s not in self.subtypes]
        if missing:
            raise ValueError(f"subtypes lacks {missing}")
        seen: dict[str, str] = {}
        for name, definition in self.subtypes.items():
            for alias in [name, *definition.aliases]:
                key = _key(alias)
                if key in seen and seen[key] != name:
                    raise ValueError(f"alias {alias!r} names both {seen[key]} and {name}")
                seen[key] = name
        return self

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> CohortDefinitions:
        """The packaged definitions, or a YAML file of the same shape; errors name the field."""
        raw = _read_yaml(path, "cohorts.yaml", PopulationError)
        try:
            definitions = cls.model_validate(raw)
        except ValidationError as error:
            raise PopulationError(problems_from(error)) from None
        for name, definition in definitions.subtypes.items():
            try:
                parse_case(definition.template)
            except CaseError as error:
                raise PopulationError(
                    [FieldProblem(f"subtypes.{name}.template.{p.field}", p.message) for p in error.problems]
                ) from None
        return definitions

    def resolve(self, subtype: str) -> str:
        """The canonical subtype for a name or alias (case-insensitive), or a ``subtype`` error."""
        for name, definition in self.subtypes.items():
            if _key(subtype) in {_key(a) for a in [name, *definition.aliases]}:
                return name
        raise OptionError(
            [FieldProblem("subtype", f"unknown subtype {subtype!r}: use one of {', '.join(self.subtypes)}")]
        )

    def template(self, subtype: str) -> Case:
        return parse_case(self.subtypes[self.resolve(subtype)].template)

    def source_ids(self) -> set[str]:
        """Every knowledge-base source the definitions cite (a test checks they exist)."""
        found: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, BaseModel):
                for name in type(node).model_fields:
                    value = getattr(node, name)
                    if name == "source" and isinstance(value, list):
                        found.update(value)
                    else:
                        walk(value)
            elif isinstance(node, dict):
                for value in node.values():
                    walk(value)

        walk(self)
        return found


@cache
def packaged_definitions() -> CohortDefinitions:
    """The shipped cohort definitions, read and validated once per process."""
    return CohortDefinitions.from_file()


def _key(name: str) -> str:
    return "".join(name.lower().split())


def _read_yaml(path: str | Path | None, packaged: str, error_kind: type[InputError]) -> Any:
    try:
        return yaml.safe_load(course_file_text(packaged, path))
    except (OSError, yaml.YAMLError) as error:
        raise error_kind([FieldProblem("file", f"cannot read {path or packaged}: {error}")]) from None


# --------------------------------------------------------------------------------------------
# Published site targets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteBand:
    """Target for one site: the published range (one value or two columns), its centre, ± tolerance."""

    published_low: float
    published_high: float
    centre: float
    low: float
    high: float

    def contains(self, percent: float) -> bool:
        return self.low <= percent <= self.high


class TargetSubtype(_Strict):
    columns: Annotated[list[str], Field(min_length=1)]
    note: str


class SiteTargets(_Strict):
    """The parsed ``site_targets.yaml`` (Kaplan 2016 columns mapped to mbctwin subtypes)."""

    source: str
    tolerance_points: Annotated[float, Field(gt=0, le=50)]
    note: str
    columns: dict[str, dict[str, Percent]]
    subtypes: dict[str, TargetSubtype]

    @model_validator(mode="after")
    def _consistent(self) -> SiteTargets:
        for name, column in self.columns.items():
            missing = [s for s in SUMMARY_SITES if s not in column]
            if missing:
                raise ValueError(f"column {name} lacks sites {missing}")
        for name, target in self.subtypes.items():
            unknown = [c for c in target.columns if c not in self.columns]
            if unknown:
                raise ValueError(f"subtype {name} uses unknown columns {unknown}")
        missing = [s for s in SUBTYPES if s not in self.subtypes]
        if missing:
            raise ValueError(f"subtypes lacks {missing}")
        return self

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> SiteTargets:
        raw = _read_yaml(path, "site_targets.yaml", TargetsError)
        try:
            return cls.model_validate(raw)
        except ValidationError as error:
            raise TargetsError(problems_from(error)) from None

    def bands(self, subtype: str) -> dict[str, SiteBand]:
        """Per site: the band a recurrent cohort of ``subtype`` must fall in."""
        if subtype not in self.subtypes:
            raise OptionError(
                [FieldProblem("subtype", f"no site targets for {subtype!r}: use one of {', '.join(self.subtypes)}")]
            )
        columns = [self.columns[c] for c in self.subtypes[subtype].columns]
        result = {}
        for site in SUMMARY_SITES:
            values = [c[site] for c in columns]
            low, high = min(values), max(values)
            result[site] = SiteBand(
                low, high, sum(values) / len(values), low - self.tolerance_points, high + self.tolerance_points
            )
        return result

    def published(self) -> dict[str, dict[str, float | tuple[float, float]]]:
        """Per subtype and site: the published percentage, or the (low, high) range between columns."""
        table: dict[str, dict[str, float | tuple[float, float]]] = {}
        for subtype in self.subtypes:
            table[subtype] = {
                site: band.published_low
                if band.published_low == band.published_high
                else (band.published_low, band.published_high)
                for site, band in self.bands(subtype).items()
            }
        return table


# --------------------------------------------------------------------------------------------
# Drawing and simulating a cohort
# --------------------------------------------------------------------------------------------


def check_presentation(presentation: str) -> str:
    if presentation not in PRESENTATIONS:
        raise OptionError(
            [
                FieldProblem(
                    "presentation", f"unknown presentation {presentation!r}: use one of {', '.join(PRESENTATIONS)}"
                )
            ]
        )
    return presentation


def _site_vector(shares: SiteShares) -> np.ndarray:
    vector = np.zeros(len(SITES))
    for site, p in shares.p.items():
        vector[SITE_INDEX[site]] = p
    return vector


def build_cohort(
    subtype: str,
    presentation: str = "any",
    patients: int = 2000,
    rng: np.random.Generator | int | None = None,
    definitions: CohortDefinitions | None = None,
) -> Cohort:
    """Draw ``patients`` virtual patients of ``subtype`` from its published distributions.

    ``presentation``: ``de_novo``, ``recurrent`` or ``any`` (the published de novo share). The
    random draws are made in a fixed order, so the same generator state gives the same cohort.
    """
    definitions = definitions or packaged_definitions()
    name = definitions.resolve(subtype)
    check_presentation(presentation)
    if patients < 1:
        raise OptionError([FieldProblem("patients", "must be at least 1")])
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    spec, shared, n = definitions.subtypes[name], definitions.shared, patients
    template = parse_case(spec.template)

    de_novo_draw = rng.random(n) < spec.de_novo_share.value
    de_novo = de_novo_draw if presentation == "any" else np.full(n, presentation == "de_novo")
    low, high = shared.age_clip
    age = np.clip(rng.normal(spec.age.mean, shared.age_sd.value, n), low, high)
    ecog = np.asarray(shared.ecog.values)[rng.choice(len(shared.ecog.values), size=n, p=shared.ecog.p)]
    her2_low = rng.random(n) < (spec.her2_low_share.value if spec.her2_low_share else 0.0)
    sites = np.where(
        de_novo[:, None],
        rng.random((n, len(SITES))) < _site_vector(spec.sites.de_novo),
        rng.random((n, len(SITES))) < _site_vector(spec.sites.recurrent),
    )
    sites[~sites.any(axis=1), SITE_INDEX[shared.fallback_site.value]] = True

    # Premenopausal: the youngest share of the age distribution (keeps age and status consistent).
    threshold = NormalDist(spec.age.mean, shared.age_sd.value).inv_cdf(spec.premenopausal_share.value)
    variants = {
        "presentation": np.where(de_novo, "de_novo", "recurrent"),
        "menopausal_status": np.where(age < threshold, "pre", "post"),
    }
    if spec.her2_low_share is not None:
        variants["tumor.her2_ihc"] = np.where(her2_low, "1+", template.tumor.her2_ihc)
    return from_arrays(template, age, ecog, sites, variants)


def cohort_frame(cohort: Cohort) -> pd.DataFrame:
    """The drawn population, one row per patient (saved as cohort.parquet beside the course tables)."""
    templates = cohort.templates
    frame = pd.DataFrame(
        {
            "patient": range(cohort.size),
            "age": cohort.age,
            "ecog": cohort.ecog,
            "presentation": [templates[t].presentation for t in cohort.template],
            "menopausal_status": [templates[t].menopausal_status for t in cohort.template],
            "her2_ihc": [templates[t].tumor.her2_ihc for t in cohort.template],
        }
    )
    for i, site in enumerate(SITES):
        if cohort.sites[:, i].any():
            frame[f"{site}_at_start"] = cohort.sites[:, i]
    return frame


def de_novo_percent(cohort: Cohort) -> float:
    de_novo = np.array([t.presentation == "de_novo" for t in cohort.templates])[cohort.template]
    return round(float(de_novo.mean() * 100), 1)


@dataclass(frozen=True)
class CohortRun(Result):
    """A simulated population: who was drawn (``cohort``) and what happened to them (``result``)."""

    subtype: str
    presentation: str
    seed: int
    cohort: Cohort
    result: CourseResult
    treated_from: tuple[float, float] | None = None  # calendar years the courses began; None = today

    @property
    def summary(self) -> pd.DataFrame:
        """The headline outcomes of the course (:meth:`CourseResult.outcomes`)."""
        return self.result.summary

    def to_dict(self) -> dict[str, Any]:
        """The figures of ``mbc cohort --format json``."""
        return {
            "subtype": self.subtype,
            "presentation": self.presentation,
            "seed": self.seed,
            "treated_from": None if self.treated_from is None else list(self.treated_from),
            "de_novo_percent": de_novo_percent(self.cohort),
            **self.result.to_dict(),
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """Who was drawn (``cohort``), then the course tables."""
        return {"cohort": cohort_frame(self.cohort), **self.result.tables()}

    def figures(self) -> dict[str, Figure]:
        return self.result.figures()

    def progressions(self) -> np.ndarray:
        """Per patient: progressions survived (each one draws new sites)."""
        lines = self.result.lines
        counts = lines.loc[lines["event"] == "progression"].groupby("patient").size()
        return counts.reindex(np.arange(self.cohort.size), fill_value=0).to_numpy()


def check_treated_from(years: tuple[float, float]) -> tuple[float, float]:
    """``(first, last)`` calendar years of a dated cohort, or ``ValueError`` saying what is accepted."""
    first, last = years
    if not 1990 <= first <= last <= 2100:
        raise ValueError(f"treated_from must be two calendar years, first <= last, within 1990-2100; got {years}")
    return first, last


def run_cohort(
    subtype: str,
    presentation: str = "any",
    patients: int = 2000,
    seed: int | None = None,
    years: float = 10.0,
    params: CourseParams | None = None,
    kb: KnowledgeBase | None = None,
    progress: Callable[[int, int], None] | None = None,
    scheduler: str | None = None,
    definitions: CohortDefinitions | None = None,
    treated_from: tuple[float, float] | None = None,
) -> CohortRun:
    """Draw the cohort (first child of ``SeedSequence(seed)``) and simulate it (second child).

    Parameters
    ----------
    subtype
        ``HR+/HER2-``, ``HR+/HER2+``, ``HR-/HER2+``, ``triple-negative`` or an alias (``TNBC``).
    presentation
        ``de_novo``, ``recurrent`` or ``any`` (the published de novo share).
    patients, seed, years, params, kb, progress, scheduler
        As :func:`mbctwin.simulate`.
    definitions
        The published distributions (default: ``knowledge/data/course/cohorts.yaml``).
    treated_from
        Dates the cohort: each patient's metastatic course begins at a uniform calendar year in
        ``[first, last]`` (third child) and every line uses only the drugs approved for her subtype
        by then (:mod:`mbctwin.course.availability`), e.g. ``(2008, 2016)`` for the ESME registry's
        era; ``None`` treats everyone with today's options.

    Returns
    -------
    CohortRun
        The drawn cohort and its simulated course.

    Examples
    --------
    >>> from mbctwin import run_cohort
    >>> run = run_cohort("TNBC", "de_novo", patients=100, seed=1, years=2)
    >>> run.to_dict()["subtype"], run.to_dict()["de_novo_percent"]
    ('triple-negative', 100.0)
    """
    definitions = definitions or packaged_definitions()
    name = definitions.resolve(subtype)
    check_presentation(presentation)
    root = np.random.SeedSequence(seed)
    population_seed, course_seed, calendar_seed = root.spawn(3)
    cohort = build_cohort(name, presentation, patients, np.random.default_rng(population_seed), definitions)
    kb = kb or load_kb()
    policy = EnginePolicy(kb)
    if treated_from is not None:
        first, last = check_treated_from(treated_from)
        calendar = np.random.default_rng(calendar_seed).uniform(first, last, cohort.size)
        cohort = replace(cohort, calendar=calendar)
        policy = EnginePolicy(kb, availability=packaged_availability())
    model = CourseModel(params=params or CourseParams.from_file(), policy=policy, kb=kb)
    result = model.simulate(cohort, years=years, seed=course_seed, progress=progress, scheduler=scheduler)
    return CohortRun(name, presentation, recorded_seed(root), cohort, result, treated_from)
