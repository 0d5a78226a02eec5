"""``create_app(settings)``: the FastAPI application over the engine and the store."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from mbctwin._version import __version__
from mbctwin.knowledge.loader import load_kb
from mbctwin.service import errors
from mbctwin.service.docs import mount_docs
from mbctwin.service.jobs import JobRunner
from mbctwin.service.jwt_auth import JwtVerifier
from mbctwin.service.middleware import RequestContext
from mbctwin.service.routes import cases, cds, meta, plans, simulations
from mbctwin.service.settings import Settings
from mbctwin.service.web import mount as mount_web
from mbctwin.store.db import make_engine, migrate, session_factory

log = logging.getLogger("mbctwin.service")
DESCRIPTION = (
    "Decision support for metastatic breast cancer: cases in, ranked and cited plans out. "
    "Send `X-API-Key` (from `mbc apikey create`) for every write and every read of stored data. "
    "Decision support for clinicians — never a substitute for a multidisciplinary tumour board."
)


def _verifier(settings: Settings) -> JwtVerifier | None:
    if settings.jwt_issuer and settings.jwks_file:
        return JwtVerifier(
            issuer=settings.jwt_issuer, jwks_file=settings.jwks_file, max_lifetime_s=settings.jwt_max_lifetime_s
        )
    return None


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the simulation workers with the app; stop them (bounded by the grace period) with it."""
    runner: JobRunner = app.state.jobs
    await run_in_threadpool(runner.start)
    try:
        yield
    finally:
        await run_in_threadpool(runner.stop)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app: open the database (migrating it to the newest schema), load the knowledge base once."""
    settings = settings or Settings()
    url = settings.resolved_url()
    engine = make_engine(url)
    if settings.migrate:
        migrate(engine)
    app = FastAPI(
        title="mbctwin",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.kb = load_kb()
    app.state.jwt = _verifier(settings)
    app.state.jobs = JobRunner(url, app.state.sessions, settings.jobs)
    errors.install(app)
    for module in (meta, plans, cases, cds, simulations):
        app.include_router(module.router)
    mount_docs(app)
    mount_web(app)
    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes)
    if not settings.auth:
        log.warning("authentication is OFF: local demo only")
    return app
