"""Plans: a case in, a stored, cited plan out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from mbctwin.case.models import Case
from mbctwin.engine.plan import build_plan
from mbctwin.service.bodies import SafeJsonRoute
from mbctwin.service.deps import KnowledgeDep, Reader, SessionDep, Writer
from mbctwin.service.schemas import PlanPublic
from mbctwin.store import repo

router = APIRouter(prefix="/v1/plans", tags=["plans"], route_class=SafeJsonRoute)
PlanId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$", description="Stored plan id (a UUID)")]


@router.post("", response_model=PlanPublic, status_code=201)
def create_plan(case: Case, session: SessionDep, kb: KnowledgeDep, actor: Writer) -> PlanPublic:
    """Plan the case and store both; the response carries the plan id for later retrieval."""
    plan = build_plan(case, kb)
    version = repo.create_case(session=session, actor=actor, case=case)
    row = repo.save_plan(session=session, actor=actor, plan=plan, case_id=version.case_id, case_version=version.version)
    session.commit()
    return PlanPublic.from_row(row)


@router.get("/{plan_id}", response_model=PlanPublic, responses={404: {"description": "No such plan"}})
def get_plan(plan_id: PlanId, session: SessionDep, actor: Reader) -> PlanPublic:
    row = repo.get_plan(session=session, tenant=actor.tenant, plan_id=plan_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"plan {plan_id} not found")
    return PlanPublic.from_row(row)
