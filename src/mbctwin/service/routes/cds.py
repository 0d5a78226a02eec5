"""CDS Hooks endpoints: open discovery, authenticated ``patient-view`` calls."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from mbctwin.case.fhir import import_bundle
from mbctwin.engine.plan import build_plan
from mbctwin.errors import CaseError
from mbctwin.service.bodies import SafeJsonRoute
from mbctwin.service.cds import (
    DISCOVERY,
    SERVICE_ID,
    CdsRequest,
    CdsResponse,
    Discovery,
    incomplete_card,
    missing_prefetch,
    plan_cards,
    prefetch_bundle,
)
from mbctwin.service.deps import CdsCaller, KnowledgeDep

router = APIRouter(prefix="/cds-services", tags=["cds-hooks"], route_class=SafeJsonRoute)


@router.get("", response_model=Discovery)
def discovery() -> Discovery:
    return DISCOVERY


@router.post(f"/{SERVICE_ID}", response_model=CdsResponse, responses={412: {"description": "Prefetch missing"}})
def patient_view(request: CdsRequest, kb: KnowledgeDep, _: CdsCaller) -> CdsResponse:
    """Cards for the patient in context; this service does not query the EHR, so prefetch is required."""
    missing = missing_prefetch(request)
    if missing:
        raise HTTPException(status_code=412, detail=f"required prefetch missing: {', '.join(missing)}")
    try:
        imported = import_bundle(prefetch_bundle(request))
    except CaseError as error:
        return CdsResponse(cards=[incomplete_card(request, [str(p) for p in error.problems])])
    return CdsResponse(cards=plan_cards(request, imported, build_plan(imported.case, kb)))
