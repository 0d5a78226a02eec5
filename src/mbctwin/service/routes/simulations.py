"""Simulations as background jobs: create one, then poll its status, progress and result."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, Path, Request
from sqlalchemy.orm import Session, sessionmaker

from mbctwin.course import populations
from mbctwin.course.cohort import from_case
from mbctwin.course.model import CourseModel
from mbctwin.course.policy import parse_policy
from mbctwin.knowledge.loader import KnowledgeBase
from mbctwin.service.deps import ApiKeyDep, SessionDep
from mbctwin.service.schemas import CohortRequest, SimulationPublic, SimulationRequest
from mbctwin.store import repo

log = logging.getLogger("mbctwin.service")
router = APIRouter(prefix="/v1/simulations", tags=["simulations"])
Progress = Callable[[int, int], None]
SimulationId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$", description="Simulation id (a UUID)")]


def _update(
    sessions: sessionmaker[Session],
    simulation_id: str,
    status: str,
    progress: float,
    result: dict[str, Any] | None = None,
) -> None:
    with sessions() as session:
        repo.update_simulation(
            session=session, simulation_id=simulation_id, status=status, progress=progress, result=result
        )
        session.commit()


def run_job(sessions: sessionmaker[Session], simulation_id: str, work: Callable[[Progress], dict[str, Any]]) -> None:
    """Run ``work`` after the response, recording progress per chunk; a job never stays 'running'."""
    _update(sessions, simulation_id, "running", 0.0)
    try:
        result = work(lambda done, total: _update(sessions, simulation_id, "running", round(done / total, 3)))
        _update(sessions, simulation_id, "done", 1.0, result)
    except Exception as error:  # a failed job must say so, not hang as 'running'
        log.exception("simulation %s failed", simulation_id)
        _update(sessions, simulation_id, "failed", 0.0, {"error": type(error).__name__})


def run_simulation(
    sessions: sessionmaker[Session], kb: KnowledgeBase, simulation_id: str, request: SimulationRequest
) -> None:
    """The course of one case, as ``mbc simulate``."""

    def work(progress: Progress) -> dict[str, Any]:
        model = CourseModel(policy=parse_policy(request.policy, kb), kb=kb)
        cohort = from_case(request.case, request.patients)
        return model.simulate(cohort, years=request.years, seed=request.seed, progress=progress).summary()

    run_job(sessions, simulation_id, work)


def run_cohort(sessions: sessionmaker[Session], kb: KnowledgeBase, simulation_id: str, request: CohortRequest) -> None:
    """A virtual cohort of a subtype, as ``mbc cohort``."""

    def work(progress: Progress) -> dict[str, Any]:
        run = populations.run_cohort(
            request.subtype,
            request.presentation,
            request.patients,
            seed=request.seed,
            years=request.years,
            kb=kb,
            progress=progress,
            treated_from=request.treated_from,
        )
        return run.summary()

    run_job(sessions, simulation_id, work)


def _queue(
    kind: str,
    body: SimulationRequest | CohortRequest,
    runner: Callable[..., None],
    request: Request,
    background: BackgroundTasks,
    session: Session,
) -> SimulationPublic:
    """Store the run as 'queued' and hand it to ``runner`` after the response."""
    row = repo.create_simulation(session=session, kind=kind, parameters=body.model_dump(mode="json"), seed=body.seed)
    session.commit()
    background.add_task(runner, request.app.state.sessions, request.app.state.kb, row.id, body)
    return SimulationPublic.from_row(row)


@router.post("/cohort", response_model=SimulationPublic, status_code=202)
def create_cohort(
    body: CohortRequest, request: Request, background: BackgroundTasks, session: SessionDep, _: ApiKeyDep
) -> SimulationPublic:
    """Queue a virtual-cohort simulation for a subtype; poll ``GET /v1/simulations/{id}``."""
    return _queue("cohort", body, run_cohort, request, background, session)


@router.post("", response_model=SimulationPublic, status_code=202)
def create_simulation(
    body: SimulationRequest, request: Request, background: BackgroundTasks, session: SessionDep, _: ApiKeyDep
) -> SimulationPublic:
    """Queue a patient-course simulation for a case; poll ``GET /v1/simulations/{id}``."""
    return _queue("course", body, run_simulation, request, background, session)


@router.get("/{simulation_id}", response_model=SimulationPublic, responses={404: {"description": "No such run"}})
def get_simulation(simulation_id: SimulationId, session: SessionDep, _: ApiKeyDep) -> SimulationPublic:
    row = repo.get_simulation(session=session, simulation_id=simulation_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"simulation {simulation_id} not found")
    return SimulationPublic.from_row(row)
