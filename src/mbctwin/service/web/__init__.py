"""The web interface: server-rendered pages (Jinja2) and static assets shipped in the package, under ``/ui``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["mount"]

STATIC = Path(__file__).parent / "static"


def mount(app: FastAPI) -> None:
    """Add the pages, ``/ui/static`` and a redirect from ``/`` to the case form."""
    from mbctwin.service.web.outlooks import Outlooks
    from mbctwin.service.web.routes import PageNotFound, not_found_page, router

    app.state.web_outlooks = Outlooks(app.state.kb)
    app.include_router(router)
    app.add_exception_handler(PageNotFound, not_found_page)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/case", status_code=303)
