"""The one place where bad input becomes a 422 naming each field, with the CLI's messages."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from mbctwin.case.io import problems_from
from mbctwin.errors import FieldProblem, InputError


class _BodyErrors:
    """Pydantic error items minus FastAPI's leading ``body``, for :func:`problems_from`."""

    def __init__(self, items: list[dict[str, Any]]):
        self._items = items

    def errors(self) -> list[dict[str, Any]]:
        out = []
        for item in self._items:
            loc = () if item.get("type") == "json_invalid" else tuple(item.get("loc", ()))
            out.append({**item, "loc": loc[1:] if loc[:1] == ("body",) else loc})
        return out


def problem_response(problems: list[FieldProblem], extra: dict[str, Any] | None = None) -> JSONResponse:
    body = {"detail": [{"field": p.field, "message": p.message} for p in problems], **(extra or {})}
    return JSONResponse(status_code=422, content=body)


async def _input_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InputError)
    return problem_response(error.problems)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return problem_response(problems_from(_BodyErrors(list(error.errors()))))  # type: ignore[arg-type]


def install(app: FastAPI) -> None:
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
