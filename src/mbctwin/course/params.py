"""Structural parameters of the patient-course model, read from ``knowledge/data/course``.

Regimen efficacy comes from the trial effects of the knowledge base (see ``efficacy.py``);
this file holds what trials do not give per regimen: attrition between lines, death at
progression, survival on best supportive care, background mortality, site tropism, utilities
and prognostic hazard ratios. Each value in the YAML names its source or says it is an
assumption calibrated jointly (never per target) against the public OS targets.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mbctwin.case.models import SITES, Case
from mbctwin.errors import CourseParamsError, FieldProblem, InputError

Probability = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]
SUBTYPES = ("HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative")


def course_file_text(packaged: str, path: str | Path | None = None) -> str:
    """A user's file at ``path``, or the packaged ``knowledge/data/course/<packaged>``."""
    if path is None:
        return resources.files("mbctwin.knowledge").joinpath("data", "course", packaged).read_text()
    return Path(path).read_text(encoding="utf-8")


def parse_yaml(text: str, error: type[InputError], where: str) -> Any:
    """The data of a user's YAML text; a syntax error becomes ``error`` on ``where`` naming the problem."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise error([FieldProblem(where, f"not valid YAML: {problem}")]) from None


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Utilities(_Frozen):
    progression_free: Probability
    progressed: Probability
    alopecia_disutility: Probability
    chemotherapy_disutility: Probability


class PrognosticHazardRatios(_Frozen):
    """Multipliers of progression and death hazards.

    ECOG, liver and brain: relative to a trial-like patient (``model._hazard_multiplier``).
    Presentation / disease-free interval and age: relative to the population the PFS figures
    average over (``prognosis.relative_risk``); de novo disease and a recurrence after 24 months
    or more are the reference category (1.0).
    """

    ecog_2_or_more: Positive
    liver_metastases: Positive
    brain_metastases: Positive
    recurrent_dfi_under_24_months: Positive
    age_over_60: Positive


class PrognosticReference(_Frozen):
    """Shares of a published MBC population, the reference a single patient is compared with."""

    de_novo: Probability
    recurrent_dfi_under_24_months: Probability
    recurrent_dfi_24_months_or_more: Probability
    age_over_60: Probability

    @model_validator(mode="after")
    def _presentations_sum_to_one(self) -> PrognosticReference:
        total = self.de_novo + self.recurrent_dfi_under_24_months + self.recurrent_dfi_24_months_or_more
        if abs(total - 1) > 0.01:
            raise ValueError(f"presentation shares sum to {total:.3f}, not 1")
        return self


class PdL1Positive(_Frozen):
    """PD-L1 positivity as the trials behind a durable benefit defined it: a tumour is positive when a
    measured value reaches its assay's threshold; an unmeasured one is not counted as positive."""

    cps_min: Annotated[float, Field(ge=0, le=100)] | None = None
    sp142_ic_min_percent: Annotated[float, Field(ge=0, le=100)] | None = None

    def of(self, case: Case) -> bool:
        """Whether ``case``'s measured PD-L1 reaches a threshold (always true when no threshold is set)."""
        if self.cps_min is None and self.sp142_ic_min_percent is None:
            return True
        cps, ic = case.biomarkers.pd_l1_cps, case.biomarkers.pd_l1_sp142_ic_percent
        return (self.cps_min is not None and cps is not None and cps >= self.cps_min) or (
            self.sp142_ic_min_percent is not None and ic is not None and ic >= self.sp142_ic_min_percent
        )


class CheckpointLongSurvivors(_Frozen):
    """Long survivors among responders to a PD-1/PD-L1 inhibitor in triple-negative disease.

    A triple-negative patient whose line with an immune checkpoint inhibitor (vocabulary class) held
    her disease for at least ``SHORT_RESPONSE_MONTHS`` (a responder) becomes, with probability
    ``fraction``, a long survivor: every disease hazard after that line (later lines, supportive care)
    is multiplied by ``hazard_ratio`` for the rest of her course (``mbctwin.course.model``). The line's
    own PFS stays the published one. Only the population in which the benefit was shown qualifies: a
    line no later than ``max_line`` (None: any) in a tumour that ``pd_l1`` counts as positive.
    ``enabled`` false, ``fraction`` 0 or ``hazard_ratio`` 1 is off; the measured values stay in the
    file while the switch is off.
    """

    enabled: bool = False
    fraction: Probability = 0.0
    hazard_ratio: Annotated[float, Field(gt=0, le=1)] = 1.0
    max_line: Annotated[int, Field(ge=1)] | None = None
    pd_l1: PdL1Positive = PdL1Positive()

    @property
    def on(self) -> bool:
        return self.enabled and self.fraction > 0 and self.hazard_ratio < 1


class CourseParams(_Frozen):
    weibull_shape: Positive
    frailty_variance: Annotated[float, Field(ge=0, le=5)] = 0.0  # absent from older files: no frailty
    benefit_carryover: Annotated[float, Field(ge=0, le=2)] = 0.0  # absent from older files: no carry-over
    efficacy_by_prior_exposure: bool = False  # absent from older files: efficacy ignores earlier classes
    published_crossover: bool = False  # absent from older files: crossover follows the engine alone
    checkpoint_long_survivors: CheckpointLongSurvivors = CheckpointLongSurvivors()  # absent: off
    max_lines: Annotated[int, Field(ge=1, le=20)]
    next_line_probability: dict[str, Annotated[list[Probability], Field(min_length=1)]]
    pfs_ratio_per_line: Annotated[float, Field(gt=0, le=1)]
    death_at_progression: Probability
    bsc_median_months: Positive
    fallback_pfs_months: dict[str, Annotated[list[Positive], Field(min_length=3, max_length=3)]]
    new_site_probability: dict[str, dict[str, Probability]]
    background_mortality_female: dict[int, Probability]
    background_mortality_male: dict[int, Probability]
    utilities: Utilities
    prognostic_hr: PrognosticHazardRatios
    prognostic_reference: PrognosticReference

    @model_validator(mode="after")
    def _complete_tables(self) -> CourseParams:
        for name in ("new_site_probability", "next_line_probability"):
            missing = [s for s in SUBTYPES if s not in getattr(self, name)]
            if missing:
                raise ValueError(f"{name} lacks subtypes {missing}")
        for subtype, table in self.new_site_probability.items():
            unknown = set(table) - set(SITES)
            if unknown:
                raise ValueError(f"new_site_probability[{subtype}] has unknown sites {sorted(unknown)}")
        if {"chemotherapy", "other"} - set(self.fallback_pfs_months):
            raise ValueError("fallback_pfs_months needs 'chemotherapy' and 'other'")
        return self

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> CourseParams:
        """Load the packaged parameters, or a user's YAML of the same shape."""
        raw = yaml.safe_load(course_file_text("structure.yaml", path))
        values = {k: v["value"] if isinstance(v, dict) and "value" in v else v for k, v in raw.items()}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise CourseParamsError.from_validation(error) from None

    def next_line(self, subtype: str, line: np.ndarray) -> np.ndarray:
        """P(another line | progression on ``line``) for a subtype; the last value holds for later lines."""
        table = np.asarray(self.next_line_probability[subtype])
        return table[np.minimum(line - 1, len(table) - 1)]

    def background_rate(self, age: np.ndarray, female: np.ndarray) -> np.ndarray:
        """Monthly all-cause death hazard from the annual probability q(x) at the nearest tabled age."""
        rates = []
        for table in (self.background_mortality_male, self.background_mortality_female):
            ages = np.array(sorted(table))
            q = np.array([table[a] for a in ages])
            rates.append(-np.log1p(-np.interp(age, ages, q)) / 12.0)
        return np.where(female, rates[1], rates[0])

    def fallback(self) -> dict[tuple[str, int], float]:
        return {
            (group, line): months[line - 1] for group, months in self.fallback_pfs_months.items() for line in (1, 2, 3)
        }
