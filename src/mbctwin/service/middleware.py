"""Pure ASGI middleware: request ids, access logs without patient data, a body limit, security headers.

The access log names the route *template* (``/v1/cases/{case_id}``), never the raw path or query, so
neither a case id nor an injected ``%0a`` reaches a log line. An unhandled exception is logged by type
only (its message could quote case content) and answered with a plain 500.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from fastapi import HTTPException

log = logging.getLogger("mbctwin.service")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
STATIC_PREFIXES = ("/ui/static/", "/docs/static/")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]

Scope = dict[str, Any]


def strip_controls(text: str) -> str:
    """Control characters (CR, LF, ANSI escapes, line separators) replaced, so one log record stays one line."""
    return _CONTROL.sub("?", text)


class _TooLarge(HTTPException):
    """An HTTPException so that FastAPI's body reader passes it on as a 413, not a 400."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="request body too large")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _send_json(send: Any, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def route_template(scope: Scope) -> str:
    """The matched route's path template, or a fixed word: never anything the client typed."""
    path = getattr(scope.get("route"), "path", None)
    return strip_controls(path) if isinstance(path, str) else "(no route)"


def _response_headers(scope: Scope, headers: list[tuple[bytes, bytes]], id_header: tuple[bytes, bytes]) -> list:
    """Security headers on every response; ``no-store`` on everything but static files (pages and API
    answers carry patient data, which must not stay in a browser or proxy cache)."""
    extra = [*SECURITY_HEADERS, id_header]
    names = {name.lower() for name, _ in headers}
    if b"cache-control" not in names and not scope["path"].startswith(STATIC_PREFIXES):
        extra.append((b"cache-control", b"no-store"))
    return [*headers, *(h for h in extra if h[0] not in names)]


class RequestContext:
    """Request id (``X-Request-ID``), one log line per request, 413 for large bodies, security headers."""

    def __init__(self, app: Any, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _SAFE_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        id_header = (b"x-request-id", request_id.encode())
        state: dict[str, Any] = {"status": 500, "started": False, "error": ""}
        start = time.perf_counter()

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
                message = {**message, "headers": _response_headers(scope, list(message.get("headers", [])), id_header)}
            await send(message)

        try:
            await self._call_limited(scope, receive, send_with_headers)
        except _TooLarge:
            if state["started"]:
                raise
            state["status"] = 413
            await _send_json(send, 413, {"detail": f"body larger than {self.max_body_bytes} bytes"}, [id_header])
        except Exception as error:  # logged by type only: the message may quote case content
            state["error"] = f" error={type(error).__name__}"
            if not state["started"]:
                await _send_json(send, 500, {"detail": "internal error", "request_id": request_id}, [id_header])
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            log.info(
                "request_id=%s %s %s -> %s in %.1f ms%s",
                request_id,
                strip_controls(str(scope.get("method", ""))[:10]),
                route_template(scope),
                state["status"],
                elapsed,
                state["error"],
            )

    async def _call_limited(self, scope: Scope, receive: Any, send: Any) -> None:
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            raise _TooLarge
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body_bytes:
                raise _TooLarge
            return message

        await self.app(scope, counted, send)
