"""Web sign-in: an API key exchanged for a server-side session, named by a signed, HttpOnly, SameSite=Strict cookie.

The cookie holds only the session's random id, signed with ``Settings.session_secret`` (random per
process unless configured) so that a forged cookie is refused without a database read. The session row
(``mbctwin.store.repo``) is checked on every request together with its key: signing out, revoking the
key or its expiry ends the session on the server, whatever the browser still holds.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from mbctwin.service.deps import request_id
from mbctwin.store import repo
from mbctwin.store.repo import Actor

COOKIE = "mbc_session"
MAX_AGE_S = 12 * 3600  # one clinic day


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.session_secret, salt="mbctwin-web-session")


def _session_id(request: Request) -> str | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return str(_serializer(request).loads(token, max_age=MAX_AGE_S))
    except BadSignature:
        return None


def current_actor(request: Request) -> Actor | None:
    """The signed-in key as an actor, the demo actor when auth is off, else None."""
    if not request.app.state.settings.auth:
        return Actor.demo(request_id(request))
    session_id = _session_id(request)
    if session_id is None:
        return None
    with request.app.state.sessions() as session:
        key = repo.web_session_key(session=session, session_id=session_id)
        return Actor.of_key(key, request_id(request)) if key is not None else None


def sign_in_redirect(request: Request) -> HTTPException:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return HTTPException(status_code=303, headers={"Location": f"/ui/login?next={quote(target, safe='')}"})


def require_user(request: Request) -> Actor:
    """Route dependency: the signed-in actor, or a 303 to the sign-in page that comes back here afterwards."""
    actor = current_actor(request)
    if actor is None:
        raise sign_in_redirect(request)
    return actor


def sign_in(request: Request, response: Response, key: str) -> bool:
    """Start a session and set its cookie when ``key`` is a valid, active API key."""
    with request.app.state.sessions() as session:
        row = repo.verify_api_key(session=session, key=key.strip())
        if row is None:
            return False
        web = repo.create_web_session(session=session, key=row, lifetime=timedelta(seconds=MAX_AGE_S))
        repo.audit(session=session, actor=Actor.of_key(row, request_id(request)), action="session.start")
        session.commit()
    response.set_cookie(
        COOKIE,
        _serializer(request).dumps(web.id),
        max_age=MAX_AGE_S,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return True


def sign_out(request: Request, response: Response) -> None:
    """End the session on the server (a copied cookie stops working too) and clear it in the browser."""
    session_id = _session_id(request)
    actor = current_actor(request)
    if session_id is not None:
        with request.app.state.sessions() as session:
            repo.end_web_session(session=session, session_id=session_id)
            if actor is not None and actor.key_id is not None:
                repo.audit(session=session, actor=actor, action="session.end")
            session.commit()
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def safe_next(target: str | None) -> str:
    """Only a local page of the web interface may be the place to return to after sign-in."""
    if target and target.startswith("/ui/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ui/case"
