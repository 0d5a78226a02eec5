"""Request dependencies: a database session, the knowledge base, and the caller's identity."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from mbctwin.knowledge.loader import KnowledgeBase
from mbctwin.service.jwt_auth import JwtVerifier
from mbctwin.store import repo

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Key from `mbc apikey create`")
bearer = HTTPBearer(auto_error=False, description="JWT from a configured EHR issuer (CDS Hooks only)")


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def get_kb(request: Request) -> KnowledgeBase:
    return request.app.state.kb


SessionDep = Annotated[Session, Depends(get_session)]
KnowledgeDep = Annotated[KnowledgeBase, Depends(get_kb)]


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "X-API-Key"})


def _key_is_valid(request: Request, key: str) -> bool:
    with request.app.state.sessions() as session:
        return repo.verify_api_key(session=session, key=key) is not None


def require_api_key(request: Request, key: Annotated[str | None, Security(api_key_header)] = None) -> None:
    """Every write and every read of stored data needs a valid key (unless auth is off for a demo)."""
    if not request.app.state.settings.auth:
        return
    if not key or not _key_is_valid(request, key):
        raise _unauthorised("missing or invalid X-API-Key header")


def require_key_or_jwt(
    request: Request,
    key: Annotated[str | None, Security(api_key_header)] = None,
    token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
) -> None:
    """CDS Hooks callers may use an API key or a JWT bearer signed by the configured EHR issuer."""
    if not request.app.state.settings.auth or (key and _key_is_valid(request, key)):
        return
    verifier: JwtVerifier | None = request.app.state.jwt
    if token is not None and verifier is not None and verifier.verify(token.credentials, audience=str(request.url)):
        return
    raise _unauthorised("missing or invalid X-API-Key header or bearer token")


ApiKeyDep = Annotated[None, Depends(require_api_key)]
CdsAuthDep = Annotated[None, Depends(require_key_or_jwt)]
