"""API response schemas; separate from the ORM tables, built from rows in one place each."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from mbctwin.case.models import Case
from mbctwin.course.policy import parse_policy
from mbctwin.course.populations import check_treated_from, packaged_definitions
from mbctwin.engine.contract import Plan
from mbctwin.errors import InputError
from mbctwin.knowledge.loader import KnowledgeBase
from mbctwin.store.tables import CaseVersionRow, PlanRow


def _utc(moment: datetime) -> datetime:
    """SQLite drops the zone of a stored time; every time written is UTC, so say so on the way out."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


Utc = Annotated[datetime, AfterValidator(_utc)]


class _Public(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Stored(_Public):
    """A response whose every field is the stored row's attribute of the same name."""

    @classmethod
    def from_row(cls, row: object) -> Self:
        return cls.model_validate(row, from_attributes=True)


Item = TypeVar("Item", bound=_Public)


class _Page(_Public, Generic[Item]):
    items: list[Item]
    total: int
    limit: int
    offset: int


class PlanPublic(_Public):
    id: str
    case_id: str
    case_version: int
    created_at: Utc
    plan: Plan

    @classmethod
    def from_row(cls, row: PlanRow) -> PlanPublic:
        return cls(
            id=row.id,
            case_id=row.case_id,
            case_version=row.case_version,
            created_at=row.created_at,
            plan=Plan.model_validate(row.data),
        )


class CaseRecord(_Public):
    id: str
    version: int
    created_at: Utc
    case: Case

    @classmethod
    def from_row(cls, row: CaseVersionRow) -> CaseRecord:
        case = Case.model_validate(row.data)
        return cls(id=row.case_id, version=row.version, created_at=row.created_at, case=case)


class CaseList(_Page[CaseRecord]):
    pass


class UnmappedPublic(_Public):
    resource: str
    element: str
    reason: str


class InferredPublic(_Public):
    """A value the record did not state but the importer derived from it (e.g. presentation from dates)."""

    field: str
    value: Any
    how: str


class FhirImportPublic(_Public):
    id: str
    version: int
    case: Case
    unmapped: list[UnmappedPublic]
    inferred: list[InferredPublic]


class RegimenPublic(_Public):
    id: str
    name: str
    drugs: list[str]
    sources: list[str]


class KnowledgeBasePublic(_Public):
    version: str
    regimens: list[RegimenPublic]

    @classmethod
    def from_kb(cls, kb: KnowledgeBase) -> KnowledgeBasePublic:
        regimens = [
            RegimenPublic(id=r.id, name=r.display_name, drugs=list(r.drugs), sources=list(r.sources))
            for r in kb.regimens.values()
        ]
        return cls(version=kb.version, regimens=regimens)


class Health(_Public):
    status: str
    version: str
    knowledge_base_version: str
    database: str


class SimulationRequest(_Public):
    """A patient-course simulation for one case (the same options as ``mbc simulate``)."""

    case: Case
    patients: int = Field(default=2000, ge=10, le=200_000)
    years: float = Field(default=10.0, gt=0, le=40)
    policy: str = Field(default="engine", pattern=r"^(engine|none|fixed:[a-z0-9_+;]+)$")
    seed: int = Field(default=0, ge=0, le=2**32 - 1)

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, value: str) -> str:
        parse_policy(value)  # raises ValueError naming unknown drugs
        return value


class CohortRequest(_Public):
    """A virtual cohort drawn from the published distributions of a subtype (``mbc cohort``)."""

    subtype: str = Field(description="HR+/HER2-, HR+/HER2+, HR-/HER2+ or triple-negative (or an alias)")
    presentation: Literal["any", "de_novo", "recurrent"] = "any"
    patients: int = Field(default=2000, ge=10, le=200_000)
    years: float = Field(default=10.0, gt=0, le=40)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    treated_from: tuple[float, float] | None = Field(
        default=None,
        description="Calendar years [first, last] the courses begin in, treated with the drugs approved then",
    )

    @field_validator("treated_from")
    @classmethod
    def _calendar_years(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        return None if value is None else check_treated_from(value)

    @field_validator("subtype")
    @classmethod
    def _known_subtype(cls, value: str) -> str:
        try:
            return packaged_definitions().resolve(value)
        except InputError as error:
            raise ValueError(error.problems[0].message) from None


class AuditPublic(_Stored):
    """One audited action: when, which key, what, on which record (never case content)."""

    at: Utc
    key_id: str | None
    key_name: str
    action: str
    target_type: str
    target_id: str
    request_id: str


class AuditList(_Page[AuditPublic]):
    pass


class SimulationPublic(_Stored):
    """A simulation job: ``queued``, ``running`` (with progress), ``done`` (with the result), ``failed``
    or ``cancelled`` (with the reason in ``error``)."""

    id: str
    kind: str
    status: str
    progress: float
    seed: int
    parameters: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    cancel_requested: bool
    created_at: Utc
    started_at: Utc | None
    finished_at: Utc | None
