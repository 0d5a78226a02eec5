"""Shapes of knowledge-base records; the loader checks cross-references between them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mbctwin.case.models import SITES, Biomarkers
from mbctwin.case.vocabulary import vocabulary
from mbctwin.knowledge.conditions import check_shape

Condition = dict[str, Any]
Id = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _valid_condition(value: Condition) -> Condition:
    problem = check_shape(value)
    if problem:
        raise ValueError(problem)
    return value


Subtype = Literal["HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative"]
Her2Category = Literal["zero", "ultralow", "low", "positive"]  # case.derived.her2_category
BrainMetastases = Literal["excluded", "stable_allowed", "allowed", "required"]
HER2_POSITIVE_SUBTYPES = frozenset({"HR+/HER2+", "HR-/HER2+"})
PD_L1_FIELDS = frozenset({"pd_l1_cps", "pd_l1_sp142_ic_percent"})  # thresholds, not present/absent markers
BIOMARKERS = tuple(name for name in Biomarkers.model_fields if name not in PD_L1_FIELDS)


class CountRange(_Record):
    """How many of something a trial allowed (both ends included; ``max`` None = no limit)."""

    min: int = Field(default=0, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> CountRange:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max {self.max} is below min {self.min}")
        return self

    def admits(self, count: int) -> bool:
        return count >= self.min and (self.max is None or count <= self.max)


def _class_names(names: list[str]) -> list[str]:
    """Vocabulary drug classes or class groups (``chemotherapy``, ``endocrine``, ``anti_her2``) only."""
    vocab = vocabulary()
    unknown = [n for n in names if n not in vocab.classes and n not in vocab.groups]
    if unknown:
        raise ValueError(f"unknown class or group name(s) {unknown}: use vocabulary.yaml classes or groups")
    return names


def _known(names: list[str], allowed: Sequence[str], what: str, note: str = "") -> list[str]:
    """``names`` when each is one of ``allowed``; else an error listing the unknown ones and the choices."""
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ValueError(f"unknown {what}(s) {unknown}: use {list(allowed)}{note}")
    return names


class Eligibility(_Record):
    """Who the effect's trial (or subgroup) enrolled, as data: the engine chooses citations and the course
    simulator chooses efficacy by these fields, never by the ``population`` label.

    An empty list (or None) means the trial did not restrict that field, or the restriction was not read
    from the publication. Prior exposure counts every setting (adjuvant included) unless the field says
    metastatic; ``prior_metastatic_lines`` counts lines for advanced disease that contained a drug of the
    class or group (``chemotherapy: {min: 1, max: 2}`` = after one or two chemotherapy lines).
    ``menopausal_status`` applies to women only (SOLAR-1 enrolled men and postmenopausal women).
    Lines of therapy stay on the effect (``line``/``line_max``)."""

    subtypes: list[Subtype] = Field(default_factory=list)
    her2: list[Her2Category] = Field(default_factory=list)
    menopausal_status: list[Literal["pre", "peri", "post"]] = Field(default_factory=list)
    sex: list[Literal["female", "male"]] = Field(default_factory=list)
    presentation: list[Literal["de_novo", "recurrent"]] = Field(default_factory=list)
    prior_required: list[str] = Field(default_factory=list)  # each class/group given before, any setting
    prior_excluded: list[str] = Field(default_factory=list)  # none of these given before, any setting
    prior_metastatic_lines: dict[str, CountRange] = Field(default_factory=dict)  # class/group -> lines with it
    biomarkers: list[str] = Field(default_factory=list)  # every one altered (mutated, carrier, present)
    biomarkers_any: list[str] = Field(default_factory=list)  # at least one altered (AKT pathway: PIK3CA/AKT1/PTEN)
    pd_l1_cps_min: float | None = Field(default=None, ge=0, le=100)
    pd_l1_sp142_ic_min_percent: float | None = Field(default=None, ge=0, le=100)
    brain_metastases: BrainMetastases | None = None  # None: not recorded
    sites_required: list[str] = Field(default_factory=list)

    _check_required = field_validator("prior_required", "prior_excluded")(_class_names)

    @field_validator("prior_metastatic_lines")
    @classmethod
    def _line_classes(cls, value: dict[str, CountRange]) -> dict[str, CountRange]:
        _class_names(list(value))
        return value

    @field_validator("biomarkers", "biomarkers_any")
    @classmethod
    def _biomarker_names(cls, names: list[str]) -> list[str]:
        return _known(names, BIOMARKERS, "biomarker", " (PD-L1 has its own thresholds)")

    @field_validator("sites_required")
    @classmethod
    def _site_names(cls, names: list[str]) -> list[str]:
        return _known(names, SITES, "site")

    @model_validator(mode="after")
    def _consistent(self) -> Eligibility:
        """Subtypes and HER2 categories must describe the same patients; a class cannot be both."""
        if self.subtypes and self.her2:
            positive = "positive" in self.her2
            if positive != bool(set(self.subtypes) & HER2_POSITIVE_SUBTYPES) or (positive and len(self.her2) > 1):
                raise ValueError(f"her2 {self.her2} contradicts subtypes {self.subtypes}")
        both = set(self.prior_required) & set(self.prior_excluded)
        if both:
            raise ValueError(f"{sorted(both)} both required and excluded")
        return self


AdverseEvent = Literal[
    "neutropenia",
    "febrile_neutropenia",
    "leukopenia",
    "lymphopenia",
    "anaemia",
    "thrombocytopenia",
    "diarrhoea",
    "nausea",
    "vomiting",
    "fatigue",
    "stomatitis",
    "hand_foot_syndrome",
    "hyperglycaemia",
    "rash",
    "alt_increased",
    "ast_increased",
    "peripheral_neuropathy",
    "pneumonitis",
    "hypertension",
    "infection",
]


class Arm(_Record):
    """One arm. ``line``/``line_max`` override the effect's lines where the arms count differently
    (PEARL: endocrine therapy in the second or third line, capecitabine as a first chemotherapy).

    ``drugs`` are the arm's fixed drugs (or, for a physician's-choice arm, the list it chose from);
    ``partner_choice`` lists the partner regimens the investigator chose one of, each given with
    ``drugs`` (KEYNOTE-355: pembrolizumab with nab-paclitaxel, paclitaxel or gemcitabine + carboplatin);
    ``partner_unlisted`` says a partner was given whose list was not read (ASCENT-04's chemotherapy with
    pembrolizumab), so the arm is never taken for its fixed drugs alone. The ``label`` is for people only.

    ``grade3plus_percent``: the arm's incidence of grade >= 3 adverse events (percent of its safety
    population) as the publication named in the effect's locator reports them; only events read there
    are listed (an absent event is unknown, not zero). Cost models price them."""

    label: str
    drugs: list[str] = Field(default_factory=list)
    partner_choice: list[list[str]] = Field(default_factory=list)
    partner_unlisted: bool = False  # a partner was given with ``drugs`` but the publication's list was not read
    median_months: float | None = Field(default=None, gt=0)
    rate_percent: float | None = Field(default=None, ge=0, le=100)
    line: int | None = Field(default=None, ge=0)
    line_max: int | None = None
    grade3plus_percent: dict[AdverseEvent, Annotated[float, Field(ge=0, le=100)]] = Field(default_factory=dict)


class Effect(_Record):
    """One structured result: the course simulator draws time-to-event distributions from these."""

    endpoint: str
    population: str  # a human label only; code reads ``eligibility``
    eligibility: Eligibility
    line: int = Field(ge=0)
    line_max: int | None = None
    experimental: Arm
    control: Arm | None = None
    hr: float | None = Field(default=None, gt=0)
    hr_ci95: tuple[float, float] | None = None
    n: int | None = Field(default=None, gt=0)
    locator: str | None = None
    note: str | None = None

    def finding(self) -> str:
        """One line such as ``PFS 25.3 vs 16.0 months, HR 0.56 (95% CI 0.43-0.72)``."""
        name = self.endpoint.upper()
        arms = [a for a in (self.experimental, self.control) if a is not None]
        if all(a.median_months is not None for a in arms):
            text = f"{name} " + " vs ".join(f"{a.median_months:g}" for a in arms) + " months"
        elif all(a.rate_percent is not None for a in arms):
            text = f"{name} " + " vs ".join(f"{a.rate_percent:g}%" for a in arms)
        else:
            text = name
        if self.hr is not None:
            text += f", HR {self.hr:g}"
            if self.hr_ci95:
                text += f" (95% CI {self.hr_ci95[0]:g}-{self.hr_ci95[1]:g})"
        return text


Design = Literal["rct_large", "rct_small", "prospective", "retrospective", "consensus"]
# ESMO levels of evidence by design (Dykewicz 2001, as used by ESMO guidelines): I large randomised
# trials of good quality or their meta-analyses, II small randomised trials (or large ones with a
# suspicion of bias), III prospective cohorts, IV retrospective cohorts or case-control studies,
# V studies without a control group, case reports and expert opinion (guidelines, consensus).
LEVEL_OF_DESIGN: dict[str, int] = {"rct_large": 1, "rct_small": 2, "prospective": 3, "retrospective": 4, "consensus": 5}


class Source(_Record):
    """A citable source. ``design`` sets the level of evidence an option citing it gets; a guideline's
    ``version`` and ``date`` travel with every citation of it (contract §2)."""

    id: Id
    kind: Literal["trial", "guideline", "label", "meta_analysis", "study"]
    name: str
    citation: str
    design: Design | None = None
    version: str | None = None
    date: str | None = Field(default=None, pattern=r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")
    year: int | None = None
    first_published: int | None = None  # a trial cited by a later analysis: year of its first full paper
    pmid: str | None = Field(default=None, pattern=r"^[0-9]{5,9}$")
    doi: str | None = None
    url: str | None = None
    locator: str | None = None
    effects: list[Effect] = Field(default_factory=list)
    facts: list[str] = Field(default_factory=list)
    notes: str | None = None

    @field_validator("pmid", mode="before")
    @classmethod
    def _pmid_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="after")
    def _first_before_cited(self) -> Source:
        if self.first_published is not None and self.year is not None and self.first_published > self.year:
            raise ValueError(f"first_published {self.first_published} is after the cited year {self.year}")
        return self

    @property
    def first_year(self) -> int | None:
        """When the trial's results were first published (the cited year unless an earlier paper is named)."""
        return self.first_published or self.year


class Regimen(_Record):
    id: Id
    drugs: list[str] = Field(min_length=1)
    name: str | None = None
    sources: list[Id] = Field(min_length=1)
    notes: str | None = None

    @property
    def display_name(self) -> str:
        return self.name or " + ".join(self.drugs)


class _Rule(_Record):
    id: Id
    when: Condition
    sources: list[Id] = Field(default_factory=list)

    _check_when = field_validator("when")(_valid_condition)


class SystemicRule(_Rule):
    """Regimens recommended at a decision point. ``tier`` is the guideline's preference (1 first);
    when ``demote_when`` holds, the options move one tier down and ``demote_because`` says why
    (e.g. endocrine combinations once chemotherapy has been needed). The level of evidence is not
    set here: it follows the design of the evidence each option cites."""

    title: str
    recommend: list[Id] = Field(min_length=1)
    tier: int = Field(ge=1, le=4)
    demote_when: Condition | None = None
    demote_because: str | None = None
    because: str
    sources: list[Id] = Field(min_length=1)

    _check_demote = field_validator("demote_when")(lambda v: v if v is None else _valid_condition(v))

    @model_validator(mode="after")
    def _demotion_says_why(self) -> SystemicRule:
        if (self.demote_when is None) != (self.demote_because is None):
            raise ValueError("demote_when and demote_because go together")
        return self


class Modifier(_Rule):
    """Adds drugs to options of given classes, e.g. ovarian suppression for premenopausal women."""

    if_option_has_class_any: list[str] = Field(min_length=1)
    add_drugs: list[str] = Field(min_length=1)
    because: str
    sources: list[Id] = Field(min_length=1)


class Exclusion(_Rule):
    """Drugs the case must not receive when ``when`` holds: those named, those of the classes, and
    those whose vocabulary attribute takes one of the values listed (``{ild_risk: [high]}``), so a
    rule written on a mechanism reaches every drug that has it, new ones included."""

    drugs: list[str] = Field(default_factory=list)
    classes: list[str] = Field(default_factory=list)
    attributes: dict[Id, list[str | bool]] = Field(default_factory=dict)
    reason: str
    report: Literal["always", "if_relevant"] = "if_relevant"
    sources: list[Id] = Field(min_length=1)


class UrgentRule(_Rule):
    code: Literal[
        "spinal_cord_compression",
        "hypercalcemia",
        "visceral_crisis",
        "symptomatic_brain_metastases",
        "leptomeningeal_disease",
        "impending_fracture",
        "pathological_fracture",
        "malignant_effusion",
        "biliary_obstruction",
        "pregnancy",
    ]
    action: str
    sources: list[Id] = Field(min_length=1)


class LocalRule(_Rule):
    modality: Literal[
        "radiotherapy",
        "stereotactic_radiosurgery",
        "whole_brain_radiotherapy",
        "craniospinal_radiotherapy",
        "intrathecal",
        "surgery",
        "interventional",
    ]
    site: str
    regimen: str
    because: str
    sources: list[Id] = Field(min_length=1)


class SupportiveRule(_Rule):
    """A supportive action; with ``drugs`` the first one the case allows is chosen."""

    classes: list[str] = Field(min_length=1)
    drugs: list[str] = Field(default_factory=list)
    because: str
    notes: str | None = None
    sources: list[Id] = Field(min_length=1)


class TestRule(_Rule):
    test: str
    because: str


class GoalRule(_Rule):
    goal: Literal["prolong_survival", "control_symptoms", "maintain_quality_of_life", "comfort_care"]


class FactSpec(_Record):
    name: Id
    description: str


# --------------------------------------------------------------------------- dosing

Route = Literal["iv", "oral", "sc", "im"]
DoseBasis = Literal["flat", "per_m2", "per_kg", "auc"]
DoseUnit = Literal["mg", "mg/mL*min"]
Lab = Literal[
    "bilirubin_x_uln",
    "alt_x_uln",
    "creatinine_clearance_ml_min",
    "neutrophils_10e9_l",
    "lvef_percent",
    "age",
]


class DaySpan(_Record):
    """Consecutive days of a cycle, both ends included (``{first: 1, last: 21}``)."""

    first: int = Field(ge=1)
    last: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> DaySpan:
        if self.last < self.first:
            raise ValueError(f"last day {self.last} is before first day {self.first}")
        return self


class Administration(_Record):
    """One dose given on the listed days of a cycle (``times_per_day`` doses on each of them).

    ``amount`` is per ``basis``: per m² of body-surface area, per kg of body weight, flat, or a
    carboplatin target AUC (then ``unit`` is mg/mL*min and the Calvert formula gives the mg).
    """

    amount: float = Field(gt=0)
    unit: DoseUnit = "mg"
    basis: DoseBasis
    route: Route
    days: list[int | DaySpan] = Field(min_length=1)
    times_per_day: int = Field(default=1, ge=1, le=4)
    max_mg: float | None = Field(default=None, gt=0)  # a label's cap (datopotamab deruxtecan: 540 mg)

    @model_validator(mode="after")
    def _auc_unit(self) -> Administration:
        if (self.basis == "auc") != (self.unit == "mg/mL*min"):
            raise ValueError("an AUC dose is in mg/mL*min, and only an AUC dose is")
        return self

    @property
    def day_numbers(self) -> tuple[int, ...]:
        """The cycle days on which it is given, spans expanded (what a cost model counts)."""
        numbers: set[int] = set()
        for day in self.days:
            numbers.update([day] if isinstance(day, int) else range(day.first, day.last + 1))
        return tuple(sorted(numbers))


class Schedule(_Record):
    """A drug's standard starting dose and schedule, cited to its label or pivotal trial.

    ``doses`` repeat every ``cycle_days``; ``first_cycle``, when given, replaces them in the
    first cycle (loading doses: trastuzumab 8 then 6 mg/kg, fulvestrant days 1, 15 and 29).
    The drug's ``default`` schedule applies to every regimen that holds it, except the
    ``regimens`` that a regimen-specific schedule names (weekly paclitaxel, capecitabine at the
    dose of its partner's trial).
    """

    id: Id
    drug: str
    cycle_days: int = Field(ge=1, le=365)
    doses: list[Administration] = Field(min_length=1)
    first_cycle: list[Administration] | None = None
    default: bool = False
    regimens: list[Id] = Field(default_factory=list)
    source: Id
    locator: str
    verified: bool = True  # False: taken from the cited publication without its text at hand (validate warns)
    notes: str | None = None

    @model_validator(mode="after")
    def _days_within_cycle(self) -> Schedule:
        for dose in [*self.doses, *(self.first_cycle or [])]:
            late = [d for d in dose.day_numbers if d > self.cycle_days]
            if late:
                raise ValueError(f"day {late[0]} is beyond the {self.cycle_days}-day cycle")
        if self.default and self.regimens:
            raise ValueError("a default schedule applies to every regimen; list regimens only on a specific one")
        return self


class LabRange(_Record):
    """A band of one lab value: every bound given must hold (``gt 1.25, lte 2`` = 1.26-2.0)."""

    lab: Lab
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None

    @model_validator(mode="after")
    def _has_bound(self) -> LabRange:
        if all(bound is None for bound in (self.gt, self.gte, self.lt, self.lte)):
            raise ValueError(f"{self.lab}: give at least one bound (gt, gte, lt, lte)")
        return self

    def holds(self, value: float | None) -> bool:
        """A missing lab never triggers an adjustment (the plan says which labs it lacks)."""
        if value is None:
            return False
        return (
            (self.gt is None or value > self.gt)
            and (self.gte is None or value >= self.gte)
            and (self.lt is None or value < self.lt)
            and (self.lte is None or value <= self.lte)
        )


class LabAdjustment(_Record):
    """What a drug's label says to do when the case's labs fall in ``when`` (all ranges hold).

    ``avoid``: the label contraindicates the drug or says not to give it (the drug leaves the
    plan); ``reduce``: start at ``dose_percent`` of the standard dose or at ``dose_amount`` (in
    the schedule's unit and basis); ``delay``: do not start until the lab recovers.
    """

    when: list[LabRange] = Field(min_length=1)
    action: Literal["avoid", "reduce", "delay"]
    dose_percent: float | None = Field(default=None, gt=0, lt=100)
    dose_amount: float | None = Field(default=None, gt=0)
    label_says: str
    locator: str
    source: Id | None = None  # when the band comes from another source than the drug's label

    @model_validator(mode="after")
    def _reduce_has_dose(self) -> LabAdjustment:
        given = (self.dose_percent is not None) + (self.dose_amount is not None)
        if (self.action == "reduce") != (given == 1):
            raise ValueError("a reduce action gives exactly one of dose_percent or dose_amount; others give none")
        return self


class DrugLabel(_Record):
    """One drug's label adjustments for organ function, counts and age."""

    drug: str
    source: Id
    adjustments: list[LabAdjustment] = Field(default_factory=list)
    notes: str | None = None

    @property
    def id(self) -> str:
        return f"label_{self.drug}"


class PlausibilityRule(_Rule):
    """A value that is possible but implausible: the plan warns and says what it changed.

    ``facts`` are the facts through which the value acts on a plan (menopausal status acts
    through ``ovarian_function_active``); the warning lists what rules reading them changed.
    """

    facts: list[str] = Field(min_length=1)
    message: str


class McbsScore(_Record):
    """A published ESMO-MCBS score for the indication a trial established."""

    trial: Id
    score: Literal["1", "2", "3", "4", "5", "A", "B", "C"]
    scorecard: str
    url: str | None = None
