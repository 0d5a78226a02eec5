"""The plan contract (shared spec ``case-and-plan.md`` §2) as pydantic models.

Internal names stay inside the engine; this module is the one place where they meet the
contract's keys, so the JSON schema of the CLI and the HTTP service is the same.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DISCLAIMER = (
    "Decision support for clinicians; not a substitute for a multidisciplinary tumour board. "
    "Check every recommendation against the full clinical picture, current labels and local guidance."
)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Evidence(_Out):
    """One cited source. A trial whose enrolled population does not include the patient is still
    cited when the knowledge base holds nothing closer, with ``extrapolated_from`` naming the
    population it enrolled and ``misfits`` why the patient falls outside it; a guideline carries its
    ``version`` and ``date`` (contract §2)."""

    source: str
    source_id: str
    kind: str
    citation: str
    pmid: str | None = None
    doi: str | None = None
    finding: str | None = None
    version: str | None = None
    date: str | None = None
    extrapolated_from: str | None = None
    misfits: list[str] = Field(default_factory=list)


class Mcbs(_Out):
    """A published ESMO-MCBS score for the indication of the cited trial, with where it was read.

    ``source`` is the scorecard's address (or its description when it has none); ``scorecard`` says
    what was read (version, indication, and whether the table is ESMO's own or one citing it), so a
    reader can tell a scorecard from a secondary tabulation. Absent in plans made before it existed.
    """

    score: str
    source: str
    scorecard: str | None = None

    @property
    def scale(self) -> str:
        """The scale the score belongs to, in words: a bare "4" reads like a rank or an evidence level,
        and the two ESMO-MCBS scales (non-curative 1-5, curative A-C) put substantial benefit at
        different grades. Every view (page, report, terminal, markdown) says it the same way."""
        if self.score.isdigit():
            return "non-curative scale 1\u20135; 4\u20135 = substantial benefit"
        return "curative scale A\u2013C; A\u2013B = substantial benefit"

    @property
    def source_text(self) -> str:
        """What was read and where, for views without links (terminal, markdown, print): the address
        alone would hide whether the score came from ESMO's scorecard or a table citing it."""
        if self.scorecard and self.scorecard != self.source:
            return f"{self.scorecard}, {self.source}"
        return self.source

    @property
    def source_is_link(self) -> bool:
        """Whether ``source`` is an address to link to, rather than a description to print."""
        return self.source.startswith(("https://", "http://"))


class Reason(_Out):
    """A fact and the case value that made a rule apply."""

    fact: str
    value: Any


class Dosing(_Out):
    """One drug's starting dose and schedule, and what the case's labs change in it (contract §2)."""

    drug: str
    dose: str
    schedule: str
    adjustment: str | None = None
    source: str


class SystemicOption(_Out):
    rank: int
    regimen: str
    drugs: list[str]
    classes: list[str]
    evidence: list[Evidence]
    level: str | None
    why: str
    because: list[Reason]
    rule: str
    tier: int
    family: str
    notes: list[str] = Field(default_factory=list)
    dosing: list[Dosing] = Field(default_factory=list)
    mcbs: Mcbs | None = None


class Urgent(_Out):
    code: str
    action: str
    sources: list[str]


class LocalTreatment(_Out):
    modality: str
    site: str
    regimen: str
    why: str
    sources: list[str]


class Supportive(_Out):
    drugs: list[str] = Field(default_factory=list)
    classes: list[str]
    why: str
    notes: str | None = None
    sources: list[str] = Field(default_factory=list)


class NotRecommended(_Out):
    drugs: list[str]
    classes: list[str] = Field(default_factory=list)
    why: str
    sources: list[str] = Field(default_factory=list)


class TestNeeded(_Out):
    test: str
    why: str


class RationaleEntry(_Out):
    factor: str
    value: Any
    effect: str
    rule: str | None = None
    sources: list[str] = Field(default_factory=list)


class Plan(_Out):
    case_id: str
    engine_version: str
    knowledge_base_version: str
    subtype: str
    her2_category: str
    line: int
    endocrine_resistance: str
    goals: list[str]
    urgent: list[Urgent]
    systemic: list[SystemicOption]
    local: list[LocalTreatment]
    supportive: list[Supportive]
    not_recommended: list[NotRecommended]
    tests_needed: list[TestNeeded]
    rationale: list[RationaleEntry]
    assumptions: list[str] = Field(default_factory=list)
    explanation: str
    warnings: list[str] = Field(default_factory=list)
    disclaimer: str = DISCLAIMER
