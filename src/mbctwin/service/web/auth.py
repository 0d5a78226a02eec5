"""Web sign-in: an API key exchanged for a signed, HttpOnly, SameSite=Strict session cookie.

The cookie holds only the key's row id and a timestamp, signed with ``Settings.session_secret``
(random per process unless configured). Each request re-reads the key row, so deleting a key
ends its sessions.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from mbctwin.store import repo
from mbctwin.store.tables import ApiKeyRow

COOKIE = "mbc_session"
MAX_AGE_S = 12 * 3600  # one clinic day
DEMO_USER = "local demo (no sign-in)"


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.session_secret, salt="mbctwin-web-session")


def current_user(request: Request) -> str | None:
    """The signed-in key's name, the demo user when auth is off, else None."""
    if not request.app.state.settings.auth:
        return DEMO_USER
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        key_id = _serializer(request).loads(token, max_age=MAX_AGE_S)
    except BadSignature:
        return None
    with request.app.state.sessions() as session:
        row = session.get(ApiKeyRow, str(key_id))
        return row.name if row is not None else None


def require_user(request: Request) -> str:
    """Route dependency: the user, or a 303 to the sign-in page that comes back here afterwards."""
    user = current_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(status_code=303, headers={"Location": f"/ui/login?next={quote(target, safe='')}"})
    return user


def sign_in(request: Request, response: Response, key: str) -> bool:
    """Set the session cookie when ``key`` is a valid API key."""
    with request.app.state.sessions() as session:
        row = repo.verify_api_key(session=session, key=key.strip())
    if row is None:
        return False
    response.set_cookie(
        COOKIE,
        _serializer(request).dumps(row.id),
        max_age=MAX_AGE_S,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return True


def sign_out(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def safe_next(target: str | None) -> str:
    """Only a local page of the web interface may be the place to return to after sign-in."""
    if target and target.startswith("/ui/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/ui/case"
