"""JSON request bodies parsed off the event loop, bounded in depth and size (``mbctwin.case.safe_load``).

FastAPI parses a JSON body with ``json.loads`` on the event loop and answers a body nested a few
thousand levels deep with a bare 400 (or lets a ``RecursionError`` surface later). Routers built with
:class:`SafeJsonRoute` parse in a worker thread instead and refuse bodies that nest deeper than
``MAX_DEPTH`` or hold more than ``MAX_NODES`` values with a 422 naming ``body``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from mbctwin.case.safe_load import load_json
from mbctwin.errors import CaseError


class _BoundedJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = await run_in_threadpool(load_json, body, where="body")
            except CaseError as error:  # FastAPI passes an HTTPException on; anything else would become a 400
                detail = [{"field": p.field, "message": p.message} for p in error.problems]
                raise HTTPException(status_code=422, detail=detail) from None
        return self._json


class SafeJsonRoute(APIRoute):
    """An API route whose JSON body is parsed in a thread, with the depth and size bounds of ``safe_load``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            return await handler(_BoundedJsonRequest(request.scope, request.receive))

        return bounded
