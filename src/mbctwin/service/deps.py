"""Request dependencies: a database session, the knowledge base, and the caller (an :class:`Actor`).

Every endpoint that reads stored data needs the ``read`` scope, every write ``write``, the audit log
``admin``; the actor's tenant then filters every query, so another tenant's record is a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from mbctwin.knowledge.loader import KnowledgeBase
from mbctwin.service.jwt_auth import JwtVerifier
from mbctwin.store import repo
from mbctwin.store.repo import Actor
from mbctwin.store.tables import DEFAULT_TENANT

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Key from `mbc apikey create`")
bearer = HTTPBearer(auto_error=False, description="JWT from a configured EHR issuer (CDS Hooks only)")


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def get_kb(request: Request) -> KnowledgeBase:
    return request.app.state.kb


SessionDep = Annotated[Session, Depends(get_session)]
KnowledgeDep = Annotated[KnowledgeBase, Depends(get_kb)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]  # records a listing skips


def request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "X-API-Key"})


def key_actor(request: Request, key: str) -> Actor | None:
    """The actor of a valid, active API key (its last use recorded), else None."""
    with request.app.state.sessions() as session:
        row = repo.verify_api_key(session=session, key=key)
        if row is None:
            return None
        session.commit()
        return Actor.of_key(row, request_id(request))


def current_actor(request: Request, key: Annotated[str | None, Security(api_key_header)] = None) -> Actor:
    """Who calls: a valid ``X-API-Key`` (or the local demo when authentication is off), else 401."""
    if not request.app.state.settings.auth:
        return Actor.demo(request_id(request))
    actor = key_actor(request, key) if key else None
    if actor is None:
        raise _unauthorised("missing, invalid, revoked or expired X-API-Key header")
    return actor


def scoped(scope: str) -> Callable[..., Actor]:
    """A dependency: the caller, who must hold ``scope`` (403 naming the scope otherwise)."""

    def dependency(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if not actor.can(scope):
            raise HTTPException(status_code=403, detail=f"this API key lacks the '{scope}' scope")
        return actor

    return dependency


Reader = Annotated[Actor, Depends(scoped("read"))]
Writer = Annotated[Actor, Depends(scoped("write"))]
Admin = Annotated[Actor, Depends(scoped("admin"))]


def cds_actor(
    request: Request,
    key: Annotated[str | None, Security(api_key_header)] = None,
    token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
) -> Actor:
    """CDS Hooks callers may use an API key or a JWT bearer signed by the configured EHR issuer."""
    if not request.app.state.settings.auth:
        return Actor.demo(request_id(request))
    actor = key_actor(request, key) if key else None
    if actor is not None:
        return actor
    verifier: JwtVerifier | None = request.app.state.jwt
    if token is not None and verifier is not None and verifier.verify(token.credentials, audience=str(request.url)):
        return Actor(DEFAULT_TENANT, None, f"jwt:{verifier.issuer}"[:100], frozenset({"read"}), request_id(request))
    raise _unauthorised("missing or invalid X-API-Key header or bearer token")


CdsCaller = Annotated[Actor, Depends(cds_actor)]
