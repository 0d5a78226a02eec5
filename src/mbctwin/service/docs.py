"""Interactive API docs (Swagger UI) served from this process: no CDN, no inline script.

The Swagger UI files come from the ``swagger-ui-bundle-v2`` package (Swagger UI 5, Apache-2.0, the same
licence as this project); the page and the script that starts it are ours, so the Content-Security-Policy
can forbid inline scripts here as everywhere else.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

HERE = Path(__file__).parent / "docs_static"
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mbctwin API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/static/swagger/swagger-ui.css">
</head><body><div id="swagger-ui"></div>
<script src="/docs/static/swagger/swagger-ui-bundle.js"></script>
<script src="/docs/static/docs.js"></script>
</body></html>"""


def mount_docs(app: FastAPI) -> None:
    """``GET /docs`` and its static files under ``/docs/static``."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs/static/swagger", StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    app.mount("/docs/static", StaticFiles(directory=HERE), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(PAGE)
