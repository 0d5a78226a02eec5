"""Cases: create, version on update, read any version, list; import a FHIR R4 Bundle."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Query
from sqlalchemy.exc import IntegrityError, OperationalError

from mbctwin.case.fhir import import_bundle
from mbctwin.case.models import Case
from mbctwin.service.bodies import SafeJsonRoute
from mbctwin.service.deps import Offset, Reader, SessionDep, Writer
from mbctwin.service.schemas import CaseList, CaseRecord, FhirImportPublic, InferredPublic, UnmappedPublic
from mbctwin.store import repo

router = APIRouter(prefix="/v1/cases", tags=["cases"], route_class=SafeJsonRoute)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such case or version"}}
CaseId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$", description="Stored case id (a UUID)")]


def _missing(case_id: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"case {case_id} (or that version) not found")


@router.get("", response_model=CaseList)
def list_cases(
    session: SessionDep, actor: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Offset = 0
) -> CaseList:
    rows, total = repo.list_cases(session=session, tenant=actor.tenant, limit=limit, offset=offset)
    return CaseList(items=[CaseRecord.from_row(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post("", response_model=CaseRecord, status_code=201)
def create_case(case: Case, session: SessionDep, actor: Writer) -> CaseRecord:
    row = repo.create_case(session=session, actor=actor, case=case)
    session.commit()
    return CaseRecord.from_row(row)


@router.get("/{case_id}", response_model=CaseRecord, responses=NOT_FOUND)
def get_case(
    case_id: CaseId,
    session: SessionDep,
    actor: Reader,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> CaseRecord:
    row = repo.get_case(session=session, tenant=actor.tenant, case_id=case_id, version=version)
    if row is None:
        raise _missing(case_id)
    return CaseRecord.from_row(row)


@router.put("/{case_id}", response_model=CaseRecord, responses={**NOT_FOUND, 409: {"description": "Write conflict"}})
def update_case(case_id: CaseId, case: Case, session: SessionDep, actor: Writer) -> CaseRecord:
    try:
        row = repo.update_case(session=session, actor=actor, case_id=case_id, case=case)
        if row is None:
            raise _missing(case_id)
        session.commit()
    except (IntegrityError, OperationalError):
        session.rollback()
        raise HTTPException(status_code=409, detail="concurrent updates of this case: try again") from None
    return CaseRecord.from_row(row)


@router.post("/$import-fhir", response_model=FhirImportPublic, status_code=201)
def import_fhir(
    bundle: Annotated[dict[str, Any], Body(description="A FHIR R4 Bundle with mCODE-style resources")],
    session: SessionDep,
    actor: Writer,
) -> FhirImportPublic:
    """Map the Bundle to a case and store it; what could not be mapped is listed, what was derived (e.g. the
    presentation from dates) is listed as inferred, nothing is guessed. Duplicate entries count once."""
    imported = import_bundle(bundle)
    row = repo.create_case(session=session, actor=actor, case=imported.case)
    session.commit()
    unmapped = [UnmappedPublic(resource=u.resource, element=u.element, reason=u.reason) for u in imported.unmapped]
    inferred = [InferredPublic(field=i.field, value=i.value, how=i.how) for i in imported.inferred]
    return FhirImportPublic(
        id=row.case_id, version=row.version, case=imported.case, unmapped=unmapped, inferred=inferred
    )
