"""An app on a temporary SQLite file with authentication on, and a valid API key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mbctwin.service.app import create_app
from mbctwin.service.settings import Settings
from mbctwin.store import repo


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return create_app(Settings(database_url=f"sqlite:///{tmp_path / 'service.db'}"))


@pytest.fixture
def api_key(app: FastAPI) -> str:
    with app.state.sessions() as session:
        _, key = repo.create_api_key(session=session, name="tests")
        session.commit()
    return key


@pytest.fixture
def client(app: FastAPI, api_key: str) -> Iterator[TestClient]:
    with TestClient(app, headers={"X-API-Key": api_key}) as client:
        yield client


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
