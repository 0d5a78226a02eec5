"""When each drug entered practice for metastatic breast cancer: the calendar of trials and dated cohorts.

A trial's patients were treated in the years it ran, not today: a control patient who progressed
in 2014 could not receive a drug approved in 2019, and could receive the experimental drug once it
was approved. ``knowledge/data/course/availability.yaml`` lists, per drug, the year of its first
approval for breast cancer (FDA), by subtype or HER2 category where indications differ
(trastuzumab deruxtecan: HER2-positive 2019, HER2-low 2022), and withdrawals (bevacizumab 2011). A
regimen is in practice in a year when all its drugs are; a drug the file does not list for the
patient's subtype falls back to the earliest publication of the trials the engine cites.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mbctwin.case.vocabulary import vocabulary
from mbctwin.course.params import course_file_text
from mbctwin.errors import AvailabilityError, FieldProblem


class _Approval(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int = Field(ge=1950, le=2100)
    withdrawn: int | None = Field(default=None, ge=1950, le=2100)  # last year of the indication
    subtypes: list[str] | None = None  # plan subtypes ("HR+/HER2-", "triple-negative", ...); None = any
    her2: list[str] | None = None  # plan HER2 categories ("positive", "low", ...); None = any
    source: str
    url: str | None = None


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    notes: str | None = None
    drugs: dict[str, list[_Approval]]


@dataclass(frozen=True)
class Availability:
    """Approval years per drug, asked per (drugs, subtype, HER2 category)."""

    approvals: dict[str, tuple[_Approval, ...]]

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> Availability:
        try:
            data = _File.model_validate(yaml.safe_load(course_file_text("availability.yaml", path)))
        except (OSError, yaml.YAMLError, ValidationError) as error:
            raise AvailabilityError([FieldProblem("availability", f"cannot read drug availability: {error}")]) from None
        unknown = sorted(set(data.drugs) - set(vocabulary().drugs))
        if unknown:
            raise AvailabilityError([FieldProblem("availability.drugs", f"unknown drug name(s) {unknown}")])
        return cls({drug: tuple(entries) for drug, entries in data.drugs.items()})

    def in_practice(self, drugs: tuple[str, ...] | list[str], subtype: str, her2: str, year: int) -> bool | None:
        """Whether every drug of a regimen was approved for this subtype (and not withdrawn) in
        ``year``; ``None`` when a drug has no listed approval for it (the caller falls back)."""
        states = [self._approved(drug, subtype, her2, year) for drug in drugs]
        return None if not states or None in states else all(states)

    def _approved(self, drug: str, subtype: str, her2: str, year: int) -> bool | None:
        fitting = [
            a
            for a in self.approvals.get(drug, ())
            if (a.subtypes is None or subtype in a.subtypes) and (a.her2 is None or her2 in a.her2)
        ]
        if not fitting:
            return None
        return any(a.year <= year and (a.withdrawn is None or year <= a.withdrawn) for a in fitting)


@cache
def packaged_availability() -> Availability:
    """The packaged approval years, read once per process."""
    return Availability.from_file()
