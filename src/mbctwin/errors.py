"""Errors that carry the place of the problem, so every interface can name it.

Bad input of any kind raises a subclass of :class:`InputError`: it carries the list of problems
(each a field and what is wrong) and names the kind of input (``input_kind``), so a command says
*which* input failed — the case, the trial spec, the uncertainty file — and every field in it.

>>> error = TrialSpecError([FieldProblem("patients_per_arm", "must be greater than 0")])
>>> isinstance(error, InputError), error.input_kind, str(error)
(True, 'trial spec', 'patients_per_arm: must be greater than 0')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Self

if TYPE_CHECKING:
    from pydantic import ValidationError


class MbctwinError(Exception):
    """Base class of every error this package raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One bad field: a dotted location such as ``tumor.her2_ihc`` and what is wrong."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InputError(MbctwinError):
    """Input that breaks its contract; ``problems`` names each bad field, ``input_kind`` the input."""

    input_kind: ClassVar[str] = "input"

    def __init__(self, problems: Sequence[FieldProblem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def from_validation(cls, error: ValidationError, root: str = "") -> Self:
        """One problem per pydantic error, located by its dotted path (``root`` when it has none)."""
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"]) or root or cls.input_kind
            message = "unknown field" if item["type"] == "extra_forbidden" else item["msg"]
            problems.append(FieldProblem(where, message.removeprefix("Value error, ")))
        return cls(problems)


class CaseError(InputError):
    """A patient case (file, mapping or FHIR bundle) that breaks the case contract."""

    input_kind = "case"


class KnowledgeError(InputError):
    """A knowledge-base record that is malformed or refers to something unknown."""

    input_kind = "knowledge base"

    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__([FieldProblem(where, message)])


class TrialSpecError(InputError):
    """An in-silico trial spec (``mbc trial``, ``mbc calibrate``)."""

    input_kind = "trial spec"


class UncertaintyError(InputError):
    """A PSA uncertainty file, or values it cannot draw from (``mbc psa``)."""

    input_kind = "uncertainty file"


class CourseParamsError(InputError):
    """Course-model parameters (``knowledge/data/course/structure.yaml`` or a drawn copy)."""

    input_kind = "course parameters"


class PopulationError(InputError):
    """A cohort definition or how a population varies around its template (``mbc cohort``, a trial's ``vary``)."""

    input_kind = "population definition"


class TargetsError(InputError):
    """Calibration targets (``knowledge/data/course/site_targets.yaml``)."""

    input_kind = "calibration targets"


class AvailabilityError(InputError):
    """The drug-approval calendar (``knowledge/data/course/availability.yaml``)."""

    input_kind = "drug availability"


class PriceFileError(InputError):
    """A price file for cost-effectiveness (``mbc cea``)."""

    input_kind = "price file"


class CascadeConfigError(InputError):
    """Cascade-simulator parameters (``mbc cascade run --config``)."""

    input_kind = "cascade config"


class OptionError(InputError):
    """A command-line or API option outside what it accepts (``--treated-from``, ``patients``)."""

    input_kind = "option"
