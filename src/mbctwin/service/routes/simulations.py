"""Simulations as persistent jobs: queue one (within the per-key and patient-year limits), poll it, cancel it.

Requests only write the job row; the workers of :mod:`mbctwin.service.jobs` run it, so a simulation never
occupies a request handler.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from sqlalchemy.orm import Session

from mbctwin.service.bodies import SafeJsonRoute
from mbctwin.service.deps import Reader, SessionDep, Writer
from mbctwin.service.jobs import JobSettings
from mbctwin.service.schemas import CohortRequest, SimulationPublic, SimulationRequest
from mbctwin.store import jobs, repo
from mbctwin.store.repo import Actor

router = APIRouter(prefix="/v1/simulations", tags=["simulations"], route_class=SafeJsonRoute)
SimulationId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$", description="Simulation id (a UUID)")]
BUSY: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many jobs for this key, or the service's patient-year budget is used up"}
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such simulation"}}


def _busy(detail: str, limits: JobSettings) -> HTTPException:
    return HTTPException(status_code=429, detail=detail, headers={"Retry-After": str(limits.retry_after_s)})


def _admit(session: Session, actor: Actor, limits: JobSettings) -> None:
    """Refuse (429 with Retry-After) when the new job, already flushed, crosses a limit; checked under a lock."""
    jobs.lock_queue(session=session)
    mine = jobs.active_for_key(session=session, key_id=actor.key_id)
    if mine > limits.per_key:
        raise _busy(f"this key has {mine - 1} jobs queued or running (limit {limits.per_key}): retry later", limits)
    load = jobs.active_patient_years(session=session)
    if load > limits.patient_years:
        raise _busy(f"the job queue is full ({limits.patient_years:,.0f} patient-years queued or running)", limits)


def _queue(kind: str, body: SimulationRequest | CohortRequest, request: Request, session: Session, actor: Actor):
    limits: JobSettings = request.app.state.settings.jobs
    row = repo.create_simulation(
        session=session,
        actor=actor,
        kind=kind,
        parameters=body.model_dump(mode="json"),
        seed=body.seed,
        patient_years=body.patients * body.years,
    )
    try:
        _admit(session, actor, limits)
    except HTTPException:
        session.rollback()
        raise
    session.commit()
    request.app.state.jobs.notify()
    return SimulationPublic.from_row(row)


@router.post("/cohort", response_model=SimulationPublic, status_code=202, responses=BUSY)
def create_cohort(body: CohortRequest, request: Request, session: SessionDep, actor: Writer) -> SimulationPublic:
    """Queue a virtual-cohort simulation for a subtype; poll ``GET /v1/simulations/{id}``."""
    return _queue("cohort", body, request, session, actor)


@router.post("", response_model=SimulationPublic, status_code=202, responses=BUSY)
def create_simulation(
    body: SimulationRequest, request: Request, session: SessionDep, actor: Writer
) -> SimulationPublic:
    """Queue a patient-course simulation for a case; poll ``GET /v1/simulations/{id}``."""
    return _queue("course", body, request, session, actor)


@router.get("/{simulation_id}", response_model=SimulationPublic, responses=NOT_FOUND)
def get_simulation(simulation_id: SimulationId, session: SessionDep, actor: Reader) -> SimulationPublic:
    row = repo.get_simulation(session=session, tenant=actor.tenant, simulation_id=simulation_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"simulation {simulation_id} not found")
    return SimulationPublic.from_row(row)


@router.delete("/{simulation_id}", response_model=SimulationPublic, status_code=202, responses=NOT_FOUND)
def cancel_simulation(simulation_id: SimulationId, session: SessionDep, actor: Writer) -> SimulationPublic:
    """Cancel a job: a queued one at once, a running one within a second or so (at its next progress write)."""
    row = jobs.request_cancel(session=session, tenant=actor.tenant, job_id=simulation_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"simulation {simulation_id} not found")
    repo.audit(session=session, actor=actor, action="simulation.cancel", target_type="simulation", target_id=row.id)
    session.commit()
    return SimulationPublic.from_row(row)
