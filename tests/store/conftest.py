"""Storage tests run on SQLite always and on PostgreSQL when ``MBC_TEST_POSTGRES_URL`` is set (required in CI)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from mbctwin.store.db import make_engine, migrate, session_factory
from mbctwin.store.tables import Base

PG_ENV = "MBC_TEST_POSTGRES_URL"


def _postgres_url() -> str:
    url = os.environ.get(PG_ENV)
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {PG_ENV} is not set: .ci/run must start PostgreSQL")
    pytest.skip(f"{PG_ENV} not set: PostgreSQL storage tests skipped (they run in CI)")


def _reset(engine: Engine) -> None:
    """An empty database, so each test migrates from scratch."""
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite" else _postgres_url()
    engine = make_engine(url)
    _reset(engine)
    migrate(engine)
    yield engine
    _reset(engine)
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session
