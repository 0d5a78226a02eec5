"""Pure ASGI middleware: request ids with access logs (no bodies, no patient data) and a body limit."""

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

Scope = dict[str, Any]


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


class RequestContext:
    """Gives each request an id (``X-Request-ID``), logs one line per request and refuses large bodies (413)."""

    def __init__(self, app: Any, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _SAFE_ID.match(given) else uuid.uuid4().hex
        id_header = (b"x-request-id", request_id.encode())
        state = {"status": 500, "started": False}
        start = time.perf_counter()

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
                message = {**message, "headers": [*message.get("headers", []), id_header]}
            await send(message)

        try:
            await self._call_limited(scope, receive, send_with_id)
        except _TooLarge:
            if state["started"]:
                raise
            state["status"] = 413
            await _send_json(send, 413, {"detail": f"body larger than {self.max_body_bytes} bytes"}, [id_header])
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            log.info(
                "request_id=%s %s %s -> %s in %.1f ms",
                request_id,
                scope["method"],
                scope["path"],
                state["status"],
                elapsed,
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
