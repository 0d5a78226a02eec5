"""CDS Hooks 2.0 ``patient-view``: prefetched FHIR resources -> case -> plan -> cards.

Request and response are plain pydantic models (no maintained CDS Hooks library exists).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mbctwin.case.fhir import FhirImport
from mbctwin.engine.contract import Evidence, Plan, SystemicOption

SERVICE_ID = "mbctwin-patient-view"
SOURCE_LABEL = "mbctwin decision support"
TOP_OPTIONS = 3
PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}",
}


class PatientViewContext(BaseModel):
    model_config = ConfigDict(extra="allow")
    userId: str
    patientId: str
    encounterId: str | None = None


class CdsRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    hook: Literal["patient-view"]
    hookInstance: str
    context: PatientViewContext
    fhirServer: str | None = None
    fhirAuthorization: dict[str, Any] | None = None
    prefetch: dict[str, dict[str, Any] | None] | None = None


class CardSource(BaseModel):
    label: str
    url: str | None = None


class Link(BaseModel):
    label: str
    url: str
    type: Literal["absolute", "smart"] = "absolute"


class Card(BaseModel):
    uuid: str
    summary: str = Field(max_length=140)
    indicator: Literal["info", "warning", "critical"]
    source: CardSource
    detail: str | None = None
    links: list[Link] = Field(default_factory=list)


class CdsResponse(BaseModel):
    cards: list[Card]


class ServiceDescription(BaseModel):
    hook: str
    id: str
    title: str
    description: str
    prefetch: dict[str, str]


class Discovery(BaseModel):
    services: list[ServiceDescription]


DISCOVERY = Discovery(
    services=[
        ServiceDescription(
            hook="patient-view",
            id=SERVICE_ID,
            title="Metastatic breast cancer treatment options",
            description="Ranked, cited systemic options and urgent flags for a patient with metastatic breast cancer "
            "(decision support; not a substitute for a tumour board).",
            prefetch=PREFETCH,
        )
    ]
)


def missing_prefetch(request: CdsRequest) -> list[str]:
    """Required keys that are absent, null or an OperationOutcome (the client could not fetch them)."""
    given = request.prefetch or {}
    return [k for k in PREFETCH if not (item := given.get(k)) or item.get("resourceType") == "OperationOutcome"]


def prefetch_bundle(request: CdsRequest) -> dict[str, Any]:
    """All prefetched resources (single resources and searchset entries) as one collection Bundle."""
    resources: list[dict[str, Any]] = []
    for item in (request.prefetch or {}).values():
        if item and item.get("resourceType") == "Bundle":
            entries = item.get("entry") or []
            entries = entries if isinstance(entries, list) else []
            resources += [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
        elif item:
            resources.append(item)
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def _card_id(request: CdsRequest, n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{request.hookInstance}/{n}"))


def _links(evidence: list[Evidence]) -> list[Link]:
    links = []
    for item in evidence:
        if item.pmid:
            links.append(Link(label=f"{item.source} (PubMed)", url=f"https://pubmed.ncbi.nlm.nih.gov/{item.pmid}/"))
        elif item.doi:
            links.append(Link(label=f"{item.source} (DOI)", url=f"https://doi.org/{item.doi}"))
    return links


def _option_detail(option: SystemicOption, plan: Plan) -> str:
    findings = [f"- {e.source}: {e.finding}" for e in option.evidence if e.finding]
    level = f" ({option.level})" if option.level else ""
    return "\n".join([f"**Why**: {option.why}{level}", *findings, "", f"_{plan.disclaimer}_"])


def plan_cards(request: CdsRequest, imported: FhirImport, plan: Plan) -> list[Card]:
    """Urgent flags as ``critical`` cards first, then the top options with their source links."""
    source = CardSource(label=SOURCE_LABEL)
    cards = [
        Card(
            uuid="",
            summary=f"Urgent: {u.code.replace('_', ' ')}"[:140],
            indicator="critical",
            source=source,
            detail=u.action,
        )
        for u in plan.urgent
    ]
    for option in plan.systemic[:TOP_OPTIONS]:
        summary = f"Option {option.rank} ({plan.subtype}, line {plan.line}): {option.regimen}"[:140]
        cards.append(
            Card(
                uuid="",
                summary=summary,
                indicator="info",
                source=source,
                detail=_option_detail(option, plan),
                links=_links(option.evidence),
            )
        )
    if imported.unmapped:
        lines = [f"- {u.resource} {u.element}: {u.reason}" for u in imported.unmapped]
        cards.append(
            Card(
                uuid="",
                summary=f"{len(imported.unmapped)} record(s) could not be used",
                indicator="info",
                source=source,
                detail="\n".join(lines),
            )
        )
    return [card.model_copy(update={"uuid": _card_id(request, n)}) for n, card in enumerate(cards)]


def incomplete_card(request: CdsRequest, problems: list[str]) -> Card:
    """The record lacks facts the engine needs: say which, instead of planning on a guess."""
    detail = "No plan was made. Missing or invalid:\n" + "\n".join(f"- {p}" for p in problems)
    return Card(
        uuid=_card_id(request, 0),
        summary="mbctwin: the record is incomplete for a treatment plan",
        indicator="warning",
        source=CardSource(label=SOURCE_LABEL),
        detail=detail,
    )
