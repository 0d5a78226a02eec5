"""In-silico trials (shared spec ``course-targets.md`` §1): randomise, treat, follow, compare.

Arms differ only in the first line; what follows progression comes from the engine (or
nothing), so overall survival emerges from the chain of later lines. A population is one template
(``case``/``vary``) or a mixture of ``strata``: each patient is drawn into a stratum by weight and
randomisation is balanced within strata, as trials stratify. Accrual is uniform over
``accrual_months`` and follow-up ends ``follow_up_months`` after the last patient entered: each
patient is censored administratively at that date. A trial with a ``start_year``, or with a
``source_id`` naming its knowledge-base report, is dated (:func:`calendar_start`), and each later line
uses only the drugs approved in its year (:mod:`mbctwin.course.availability`): the engine of the
trial's era, not today's. A published crossover share (``subsequent_therapy: {policy: engine,
crossover_share: X}``) gives the experimental classes after progression to that share of control
patients and to no other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mbctwin.case.io import parse_case
from mbctwin.case.vocabulary import vocabulary
from mbctwin.course import survival
from mbctwin.course.availability import packaged_availability
from mbctwin.course.cohort import Cohort, concatenate, from_template, with_template_groups
from mbctwin.course.model import CourseModel
from mbctwin.course.params import CourseParams
from mbctwin.course.policy import CrossoverPolicy, EnginePolicy, NoFurtherTherapy, Policy
from mbctwin.course.result import regimen_drugs
from mbctwin.course.state import RegimenRegistry
from mbctwin.errors import CaseError, FieldProblem, TrialSpecError
from mbctwin.knowledge.loader import KnowledgeBase, load_kb
from mbctwin.knowledge.schema import Source
from mbctwin.results import Result, new_axes, new_figure

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TRIALS = Path(str(resources.files("mbctwin.course").joinpath("trials")))  # the shipped trial specs
Progress = Callable[[int, int], None]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_drugs(drugs: list[str]) -> list[str]:
    unknown = [d for d in drugs if d not in vocabulary().drugs]
    if unknown:
        raise ValueError(f"unknown drug name(s) {unknown}")
    return drugs


class Choice(_Spec):
    drugs: list[str] = Field(min_length=1)
    p: float = Field(gt=0, le=1)

    _check = field_validator("drugs")(_known_drugs)


class Arm(_Spec):
    name: str
    drugs: list[str] | None = None
    choice: list[Choice] | None = None

    _check = field_validator("drugs")(lambda v: _known_drugs(v) if v else v)

    @model_validator(mode="after")
    def _one_of(self) -> Arm:
        if (self.drugs is None) == (self.choice is None):
            raise ValueError("an arm has either drugs or choice")
        if self.choice and abs(sum(c.p for c in self.choice) - 1) > 1e-6:
            raise ValueError("choice probabilities must sum to 1")
        return self


WEIGHT_SUM_TOLERANCE = 1e-6


class Stratum(_Spec):
    """One part of a mixed trial population: its share of patients and its own template."""

    weight: float = Field(gt=0, le=1)
    case: dict[str, Any]
    vary: dict[str, Any] | None = None


class Population(_Spec):
    """A template (``case`` with optional ``vary``) or a mixture of ``strata``, never both."""

    case: dict[str, Any] | None = None
    vary: dict[str, Any] | None = None
    strata: list[Stratum] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_form(self) -> Population:
        if (self.case is None) == (self.strata is None):
            raise ValueError("a population has either case (with optional vary) or strata")
        if self.strata is not None and self.vary is not None:
            raise ValueError("vary belongs inside each stratum")
        if self.strata is not None and abs(sum(s.weight for s in self.strata) - 1) > WEIGHT_SUM_TOLERANCE:
            raise ValueError(f"strata weights must sum to 1, got {sum(s.weight for s in self.strata):g}")
        return self

    def stratified(self) -> list[Stratum]:
        """The strata; a top-level template is one stratum of weight 1."""
        if self.strata is not None:
            return self.strata
        return [Stratum(weight=1.0, case=self.case or {}, vary=self.vary)]


class Crossover(_Spec):
    """What follows progression is the engine's, except that ``crossover_share`` of the control patients
    (and only they) later receive the classes the experimental arm adds over control."""

    policy: Literal["engine"] = "engine"
    crossover_share: float = Field(ge=0, le=1)


class Published(_Spec):
    """Published figures, printed beside the simulated ones (lists in arm order). Without ``data_cut`` and
    ``citation`` they must equal the knowledge base's report of the trial (``source_id``)."""

    pfs_median_months: list[float | None] | None = None
    pfs_hr: float | None = None
    os_median_months: list[float | None] | None = None
    os_hr: float | None = None
    data_cut: str | None = None
    citation: str | None = None


class TrialSpec(_Spec):
    name: str
    population: Population
    arms: list[Arm] = Field(min_length=2)
    patients_per_arm: int = Field(gt=0, le=200_000)
    accrual_months: float = Field(ge=0)
    follow_up_months: float = Field(gt=0)
    subsequent_therapy: Literal["engine", "none"] | Crossover = "engine"
    start_year: int | None = Field(default=None, ge=1950, le=2100)
    source_id: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$")
    published: Published | None = None
    source: str | None = None
    notes: str | None = None

    @field_validator("subsequent_therapy", mode="before")
    @classmethod
    def _one_policy(cls, value: object) -> object:
        """One error naming the field, not one per member of the union."""
        if isinstance(value, dict):
            try:
                return Crossover.model_validate(value)
            except ValidationError as error:
                raise ValueError(f"{{policy: engine, crossover_share: X}}: {error.errors()[0]['msg']}") from None
        if value not in ("engine", "none") and not isinstance(value, Crossover):
            raise ValueError("expected engine, none or {policy: engine, crossover_share: X}")
        return value

    @classmethod
    def from_file(cls, path: str | Path) -> TrialSpec:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise TrialSpecError([FieldProblem("file", f"cannot read trial spec {path}: {error}")]) from None
        try:
            spec = cls.model_validate(raw)
        except ValidationError as error:
            raise TrialSpecError.from_validation(error) from None
        for index, stratum in enumerate(spec.population.stratified()):
            try:
                parse_case(stratum.case)  # a bad template names its field now, not mid-run
            except CaseError as error:
                where = "population.case" if spec.population.strata is None else f"population.strata.{index}.case"
                raise TrialSpecError([FieldProblem(f"{where}.{p.field}", p.message) for p in error.problems]) from None
        return spec

    @property
    def treated_after_progression(self) -> bool:
        return self.subsequent_therapy != "none"

    @property
    def crossover_share(self) -> float | None:
        return self.subsequent_therapy.crossover_share if isinstance(self.subsequent_therapy, Crossover) else None

    def report_source(self, kb: KnowledgeBase) -> Source | None:
        """The knowledge-base source named by ``source_id`` (an unknown id is an error naming the field)."""
        if self.source_id is None:
            return None
        if self.source_id not in kb.sources:
            raise TrialSpecError([FieldProblem("source_id", f"no knowledge-base source {self.source_id!r}")])
        return kb.sources[self.source_id]


@dataclass(frozen=True)
class Enrolment:
    """The randomised patients: their cohort, arm and stratum (arrays of one row per patient)."""

    cohort: Cohort
    arm_of: np.ndarray
    stratum_of: np.ndarray


def enrol(spec: TrialSpec, rng: np.random.Generator) -> Enrolment:
    """Draw each arm's patients into strata by weight (the same counts in every arm, as stratified
    randomisation balances arms within strata), then each stratum's patients from its template."""
    strata = spec.population.stratified()
    n_arms, n = len(spec.arms), spec.patients_per_arm
    counts = [n] if len(strata) == 1 else rng.multinomial(n, [s.weight for s in strata]).tolist()
    cohorts, arms, indices = [], [], []
    for index, (stratum, count) in enumerate(zip(strata, counts, strict=True)):
        if count == 0:
            continue
        cohorts.append(from_template(parse_case(stratum.case), n_arms * count, stratum.vary, rng))
        arms.append(rng.permutation(np.repeat(np.arange(n_arms), count)))
        indices.append(np.full(n_arms * count, index))
    return Enrolment(concatenate(cohorts), np.concatenate(arms), np.concatenate(indices))


def _first_line(spec: TrialSpec, arm_of: np.ndarray, rng: np.random.Generator, registry: RegimenRegistry) -> np.ndarray:
    regimen = np.empty(arm_of.shape[0], dtype=np.int32)
    for a, arm in enumerate(spec.arms):
        members = np.flatnonzero(arm_of == a)
        options = [c.drugs for c in arm.choice] if arm.choice else [arm.drugs or []]  # validated: one of the two
        p = [c.p for c in arm.choice] if arm.choice else [1.0]
        ids = np.array([registry.intern(tuple(o)) for o in options], dtype=np.int32)
        regimen[members] = ids[rng.choice(len(ids), size=members.size, p=p)]
    return regimen


@dataclass(frozen=True)
class ArmOutcomes:
    """One arm's per-patient first-line PFS and overall survival (months, event flags), censored as reported."""

    name: str
    os_months: np.ndarray
    os_event: np.ndarray
    pfs_months: np.ndarray
    pfs_event: np.ndarray

    def frame(self) -> pd.DataFrame:
        """One row per patient of this arm."""
        import pandas as pd

        columns = {"os_months": self.os_months, "os_event": self.os_event}
        columns |= {"pfs_months": self.pfs_months, "pfs_event": self.pfs_event}
        return pd.DataFrame({"arm": self.name, **columns})


@dataclass(frozen=True)
class ArmSummary:
    """One arm's size and Kaplan-Meier medians (months; ``None``: not reached)."""

    name: str
    patients: int
    pfs_median_months: float | None
    os_median_months: float | None


@dataclass(frozen=True)
class TrialCalendar:
    """When a dated trial ran, and how many control patients later got the investigational drugs."""

    entry_years: tuple[float, float]
    cutoff_year: float
    controls_given_investigational_percent: float


HazardRatio = tuple[float, float, float]  # estimate, lower and upper 95 % bound
Endpoint = tuple[np.ndarray, np.ndarray]  # months and event flag of every patient


@dataclass(frozen=True)
class StratumSummary:
    """One stratum of the population: its weight, patients (all arms) and each arm's medians (arm order)."""

    weight: float
    patients: int
    pfs_median_months: tuple[float | None, ...]
    os_median_months: tuple[float | None, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "pfs_median_months": list(self.pfs_median_months),
            "os_median_months": list(self.os_median_months),
        }


@dataclass(frozen=True)
class TrialReport(Result):
    """What an in-silico trial reports: arm medians, Cox hazard ratios of the first arm against the
    second, the published figures beside them, and each arm's per-patient outcomes.

    Examples
    --------
    >>> from mbctwin.course.trial import TrialSpec, run_trial
    >>> spec = TrialSpec.from_file(TRIALS / "ascent.yaml").model_copy(update={"patients_per_arm": 60})
    >>> report = run_trial(spec, seed=1)
    >>> [arm.name for arm in report.arms] == list(report.summary.index)
    True
    >>> sorted(report.to_dict())
    ['arms', 'calendar', 'name', 'os_hr', 'pfs_hr', 'published', 'strata']
    """

    name: str
    arms: tuple[ArmSummary, ...]
    pfs_hr: HazardRatio
    os_hr: HazardRatio
    published: Published | None = None
    calendar: TrialCalendar | None = None
    outcomes: tuple[ArmOutcomes, ...] = field(default=(), repr=False, compare=False)
    strata: tuple[StratumSummary, ...] = ()  # a population without strata is one stratum of weight 1

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrialReport:
        """The report of :meth:`to_dict` (a saved ``summary.json``), without per-patient outcomes."""
        calendar = data.get("calendar")
        return cls(
            data["name"],
            tuple(ArmSummary(**arm) for arm in data["arms"]),
            _hazard_ratio_of(data["pfs_hr"]),
            _hazard_ratio_of(data["os_hr"]),
            Published.model_validate(data["published"]) if "published" in data else None,
            TrialCalendar(**calendar | {"entry_years": tuple(calendar["entry_years"])}) if calendar else None,
            strata=tuple(_stratum_of(row) for row in data.get("strata", [])),
        )

    @property
    def summary(self) -> pd.DataFrame:
        """One row per arm: patients, simulated and published PFS/OS medians."""
        import pandas as pd

        published = self.published or Published()
        rows = []
        for i, arm in enumerate(self.arms):
            row = asdict(arm)
            row["published_pfs_median_months"] = _nth(published.pfs_median_months, i)
            row["published_os_median_months"] = _nth(published.os_median_months, i)
            rows.append(row)
        return pd.DataFrame(rows).set_index("name")

    def to_dict(self) -> dict[str, Any]:
        """The figures of ``mbc trial --format json``."""
        report: dict[str, Any] = {
            "name": self.name,
            "arms": [asdict(arm) for arm in self.arms],
            "pfs_hr": list(self.pfs_hr),
            "os_hr": list(self.os_hr),
        }
        if self.published:
            report["published"] = self.published.model_dump(exclude_none=True)
        if self.calendar:
            report["calendar"] = asdict(self.calendar) | {"entry_years": list(self.calendar.entry_years)}
        if self.strata:
            report["strata"] = [stratum.to_dict() for stratum in self.strata]
        return report

    def tables(self) -> dict[str, pd.DataFrame]:
        import pandas as pd

        return {"patients": pd.concat([arm.frame() for arm in self.outcomes], ignore_index=True)}

    def figures(self) -> dict[str, Figure]:
        figure = new_figure((12, 4.5))
        left, right = figure.subplots(1, 2)
        self.plot_km("pfs", ax=left)
        self.plot_km("os", ax=right)
        return {"km": figure}

    def plot_km(self, endpoint: Literal["pfs", "os"] = "os", ax: Axes | None = None) -> Axes:
        """Kaplan-Meier curves of each arm (first-line PFS or overall survival) with 95 % bands."""
        ax = new_axes(ax)
        for arm in self.outcomes:
            months, event = (arm.os_months, arm.os_event) if endpoint == "os" else (arm.pfs_months, arm.pfs_event)
            times, curve, low, high = survival.km_curve(months, event)
            ax.step(times, curve, where="post", label=arm.name)
            ax.fill_between(times, low, high, step="post", alpha=0.2)
        title = "Overall survival" if endpoint == "os" else "Progression-free survival (randomised line)"
        ax.set(xlabel="months", ylabel="probability", ylim=(0, 1.02), title=f"{self.name}: {title}")
        ax.grid(alpha=0.3)
        ax.legend()
        return ax


def _stratum_of(row: dict[str, Any]) -> StratumSummary:
    return StratumSummary(
        row["weight"], row["patients"], tuple(row["pfs_median_months"]), tuple(row["os_median_months"])
    )


def _hazard_ratio_of(values: list[float]) -> HazardRatio:
    hr, low, high = values
    return hr, low, high


def _nth(values: list[float | None] | None, index: int) -> float | None:
    return values[index] if values is not None and index < len(values) else None


def _crossover_policies(spec: TrialSpec, kb: KnowledgeBase, templates: int) -> tuple[tuple[int, Policy], ...]:
    """Policies of the control patients' template copies (:func:`with_template_groups`): copy 1 crosses over
    to the experimental classes, copy 2 never receives them; the experimental arm keeps the engine."""
    base = _subsequent_policy(spec, kb)
    assert isinstance(base, EnginePolicy)  # a crossover share is an engine policy by the grammar
    own = frozenset(_arm_drugs(spec.arms[0]) - _arm_drugs(spec.arms[1]))
    crossing = CrossoverPolicy(
        kb, as_of_year=base.as_of_year, availability=base.availability, give=base.unavailable, own=own
    )
    never = replace(base, crossover=False)
    return tuple((t + templates, crossing) for t in range(templates)) + tuple(
        (t + 2 * templates, never) for t in range(templates)
    )


def run_trial(
    spec: TrialSpec,
    seed: int | None = None,
    params: CourseParams | None = None,
    kb: KnowledgeBase | None = None,
    progress: Progress | None = None,
) -> TrialReport:
    """Simulate the trial: randomise, treat, follow, censor at the cut-off and compare the arms.

    Parameters
    ----------
    spec
        The trial (``TrialSpec.from_file``; shipped specs are in ``mbctwin/course/trials``).
    seed
        Root seed: the population draws from its first child, the course from its second.
    params, kb
        Course parameters and knowledge base (default: the packaged ones).
    progress
        Called with (done, total) as blocks of patients finish.

    Returns
    -------
    TrialReport
        Medians, hazard ratios, the published figures and per-patient outcomes.
    """
    kb = kb or load_kb()
    own = spec.report_source(kb)
    population_seed, course_seed = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(population_seed)
    enrolment = enrol(spec, rng)
    cohort, arm_of = enrolment.cohort, enrolment.arm_of
    registry = RegimenRegistry()
    first = _first_line(spec, arm_of, rng, registry)
    entry = rng.uniform(0, spec.accrual_months, arm_of.size) if spec.accrual_months else np.zeros(arm_of.size)
    start = calendar_start(spec, kb)
    if start is not None and spec.treated_after_progression:
        cohort = replace(cohort, calendar=start + entry / 12.0)
    params = params or CourseParams.from_file()
    templates = len(cohort.templates)
    template_policies: tuple[tuple[int, Policy], ...] = ()
    if spec.crossover_share is not None and params.published_crossover:
        crosses = rng.random(arm_of.size) < spec.crossover_share
        group = np.where(arm_of == 0, 0, np.where(crosses, 1, 2))
        cohort = with_template_groups(cohort, group, 3)
        template_policies = _crossover_policies(spec, kb, templates)
    model = CourseModel(
        params=params,
        policy=_subsequent_policy(spec, kb),
        kb=kb,
        first_line_sources=frozenset({own.id}) if own else frozenset(),
        template_policies=template_policies,
    )
    horizon = spec.accrual_months + spec.follow_up_months
    result = model.simulate(
        cohort, years=horizon / 12.0, seed=course_seed, first_line=first, registry=registry, progress=progress
    )
    censor_at = horizon - entry
    os_t, os_e = _censor(result.patients["os_months"].to_numpy(), result.patients["died"].to_numpy(), censor_at)
    pfs_t, pfs_e = _first_line_pfs(result, censor_at)
    outcomes = tuple(
        ArmOutcomes(arm.name, os_t[arm_of == a], os_e[arm_of == a], pfs_t[arm_of == a], pfs_e[arm_of == a])
        for a, arm in enumerate(spec.arms)
    )
    calendar = None
    if start is not None and cohort.calendar is not None:
        calendar = _calendar(spec, start, _crossover_percent(spec, result.lines, arm_of, censor_at))
    strata = _strata(spec, enrolment, (pfs_t, pfs_e), (os_t, os_e))
    return _report(spec, arm_of, outcomes, (pfs_t, pfs_e, os_t, os_e), calendar, strata)


def _calendar(spec: TrialSpec, start: float, crossover: float) -> TrialCalendar:
    """When the simulated trial ran, and how many control patients later got the investigational drugs."""
    return TrialCalendar(
        (round(start, 1), round(start + spec.accrual_months / 12.0, 1)),
        round(start + (spec.accrual_months + spec.follow_up_months) / 12.0, 1),
        round(crossover, 1),
    )


def _crossover_percent(spec: TrialSpec, lines: Any, arm_of: np.ndarray, censor_at: np.ndarray) -> float:
    """Share of control patients who began a later line with an investigational drug before the cut-off."""
    investigational = investigational_drugs(spec)
    later = lines[(lines["line"] > lines.groupby("patient")["line"].transform("min"))]
    later = later[later["start_months"].to_numpy() < censor_at[later["patient"].to_numpy()]]
    crossed = {
        patient
        for patient, regimen in zip(later["patient"], later["regimen"], strict=True)
        if set(regimen_drugs(regimen)) & investigational
    }
    controls = np.flatnonzero(arm_of >= 1)
    return 100.0 * len(crossed.intersection(controls.tolist())) / max(controls.size, 1)


def _arm_drugs(arm: Arm) -> set[str]:
    return {d for c in arm.choice for d in c.drugs} if arm.choice else set(arm.drugs or [])


def investigational_drugs(spec: TrialSpec) -> frozenset[str]:
    """Drugs (and classes) only the experimental arm gets: not available off-trial to controls."""
    vocab = vocabulary()
    experimental, control = _arm_drugs(spec.arms[0]), _arm_drugs(spec.arms[1])
    new_classes = {
        c for c in vocab.classes_of(sorted(experimental)) - vocab.classes_of(sorted(control)) if c in vocab.classes
    }
    return frozenset((experimental - control) | {d for c in new_classes for d in vocab.classes[c]})


PUBLICATION_LAG_YEARS = 1.5  # last patient in -> first full paper (assumption; see calendar_start)


def trial_year(spec: TrialSpec, kb: KnowledgeBase) -> int | None:
    """Publication year of the trial's knowledge-base report (``source_id``): options whose drugs have no
    listed approval are limited to evidence published by then, so a 2012 trial's patients do not
    receive a 2022 drug. ``None`` without a source."""
    source = spec.report_source(kb)
    return source.year if source else None


def calendar_start(spec: TrialSpec, kb: KnowledgeBase) -> float | None:
    """Calendar year the first patient entered: ``start_year`` when the spec gives it; else, for a trial
    the knowledge base reports (``source_id``), its first full paper appeared ``PUBLICATION_LAG_YEARS``
    after accrual ended (assumption: an event-driven primary analysis, then peer review), so accrual
    began that much plus ``accrual_months`` before it. ``None`` otherwise (later lines then follow
    today's practice)."""
    if spec.start_year is not None:
        return float(spec.start_year)
    source = spec.report_source(kb)
    if source is None or source.first_year is None:
        return None
    return source.first_year - PUBLICATION_LAG_YEARS - spec.accrual_months / 12.0


def _subsequent_policy(spec: TrialSpec, kb: KnowledgeBase) -> EnginePolicy | NoFurtherTherapy:
    if not spec.treated_after_progression:
        return NoFurtherTherapy()
    return EnginePolicy(
        kb,
        unavailable=investigational_drugs(spec),
        as_of_year=trial_year(spec, kb),
        availability=packaged_availability(),
    )


def _censor(times: np.ndarray, events: np.ndarray, censor_at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.minimum(times, censor_at), events & (times <= censor_at)


def _first_line_pfs(result: Any, censor_at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lines = result.lines
    first = lines.loc[lines.groupby("patient")["start_months"].idxmin()].sort_values("patient")
    times = first["stop_months"].to_numpy()
    events = (first["event"] != "censored").to_numpy()
    return _censor(times, events, censor_at)


def _report(
    spec: TrialSpec,
    arm_of: np.ndarray,
    outcomes: tuple[ArmOutcomes, ...],
    endpoints: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    calendar: TrialCalendar | None,
    strata: tuple[StratumSummary, ...],
) -> TrialReport:
    """``endpoints``: PFS months, PFS event, OS months, OS event of every patient (``arm_of`` order)."""
    arms = tuple(
        ArmSummary(
            arm.name,
            int(arm.os_months.size),
            _round(survival.km_median(arm.pfs_months, arm.pfs_event)[0]),
            _round(survival.km_median(arm.os_months, arm.os_event)[0]),
        )
        for arm in outcomes
    )
    pair = arm_of <= 1
    experimental = arm_of[pair] == 0
    pfs_t, pfs_e, os_t, os_e = (column[pair] for column in endpoints)
    return TrialReport(
        spec.name,
        arms,
        _hazard_ratio(pfs_t, pfs_e, experimental),
        _hazard_ratio(os_t, os_e, experimental),
        spec.published,
        calendar,
        outcomes,
        strata,
    )


def _hazard_ratio(months: np.ndarray, event: np.ndarray, experimental: np.ndarray) -> HazardRatio:
    hr, low, high = (round(v, 3) for v in survival.cox_hazard_ratio(months, event, experimental))
    return hr, low, high


def _strata(spec: TrialSpec, enrolment: Enrolment, pfs: Endpoint, os: Endpoint) -> tuple[StratumSummary, ...]:
    """Per stratum: its weight, patients, and each arm's median PFS and OS (arm order)."""
    rows = []
    for index, stratum in enumerate(spec.population.stratified()):
        members = enrolment.stratum_of == index
        arms = [members & (enrolment.arm_of == a) for a in range(len(spec.arms))]
        rows.append(
            StratumSummary(
                stratum.weight,
                int(members.sum()),
                tuple(_median(pfs, chosen) for chosen in arms),
                tuple(_median(os, chosen) for chosen in arms),
            )
        )
    return tuple(rows)


def _median(outcome: Endpoint, chosen: np.ndarray) -> float | None:
    times, events = outcome
    return _round(survival.km_median(times[chosen], events[chosen])[0]) if chosen.any() else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
