"""Health and knowledge-base version: open endpoints that reveal no stored data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import text

from mbctwin._version import __version__
from mbctwin.service.deps import Admin, KnowledgeDep, Offset, Reader, SessionDep
from mbctwin.service.schemas import AuditList, AuditPublic, Health, KnowledgeBasePublic
from mbctwin.store import repo

router = APIRouter(tags=["meta"])


@router.get("/healthz", response_model=Health)
def healthz(request: Request, kb: KnowledgeDep) -> Health:
    """Liveness plus a database round trip, so a load balancer sees a broken store."""
    with request.app.state.sessions() as session:
        session.execute(text("SELECT 1"))
    dialect = request.app.state.engine.dialect.name
    return Health(status="ok", version=__version__, knowledge_base_version=kb.version, database=dialect)


@router.get("/v1/knowledge-base", response_model=KnowledgeBasePublic)
def knowledge_base(kb: KnowledgeDep, _: Reader) -> KnowledgeBasePublic:
    return KnowledgeBasePublic.from_kb(kb)


@router.get("/v1/audit", response_model=AuditList)
def audit_log(
    session: SessionDep, actor: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Offset = 0
) -> AuditList:
    """Who wrote what and when in the caller's tenant, newest first (keys with the ``admin`` scope only)."""
    rows, total = repo.list_audit(session=session, tenant=actor.tenant, limit=limit, offset=offset)
    return AuditList(items=[AuditPublic.from_row(r) for r in rows], total=total, limit=limit, offset=offset)
