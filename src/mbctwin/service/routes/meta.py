"""Health and knowledge-base version: open endpoints that reveal no stored data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

from mbctwin._version import __version__
from mbctwin.service.deps import ApiKeyDep, KnowledgeDep
from mbctwin.service.schemas import Health, KnowledgeBasePublic

router = APIRouter(tags=["meta"])


@router.get("/healthz", response_model=Health)
def healthz(request: Request, kb: KnowledgeDep) -> Health:
    """Liveness plus a database round trip, so a load balancer sees a broken store."""
    with request.app.state.sessions() as session:
        session.execute(text("SELECT 1"))
    dialect = request.app.state.engine.dialect.name
    return Health(status="ok", version=__version__, knowledge_base_version=kb.version, database=dialect)


@router.get("/v1/knowledge-base", response_model=KnowledgeBasePublic)
def knowledge_base(kb: KnowledgeDep, _: ApiKeyDep) -> KnowledgeBasePublic:
    return KnowledgeBasePublic.from_kb(kb)
