"""Shared fixtures: the packaged knowledge base, a valid base case, the shared spec folder, and an
HTTP app on a temporary SQLite file (authentication on) with a valid API key."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from mbctwin.case.io import parse_case
from mbctwin.case.models import Case
from mbctwin.engine.contract import Plan
from mbctwin.engine.plan import build_plan
from mbctwin.knowledge.loader import KnowledgeBase, load_kb
from mbctwin.service.app import create_app
from mbctwin.service.jobs import JobSettings
from mbctwin.service.settings import Settings
from mbctwin.store import repo

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"

BASE_CASE: dict[str, Any] = {
    "id": "base",
    "age": 60,
    "sex": "female",
    "menopausal_status": "post",
    "ecog": 1,
    "tumor": {"er": "positive", "er_percent": 90, "pr": "positive", "her2_ihc": "0"},
    "presentation": "de_novo",
    "metastases": [{"site": "bone", "count": 3}],
}


def case_with(**changes: Any) -> Case:
    """The base case with top-level fields replaced; ``tumor``/``labs``... dicts are merged."""
    data = copy.deepcopy(BASE_CASE)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return parse_case(data)


def plan_for(**changes: Any) -> Plan:
    return build_plan(case_with(**changes))


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_kb()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the repo; absent in a user's clone (skip), required in CI."""
    if not SHARED.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the shared folder {SHARED} is missing")
        pytest.skip(f"shared spec folder {SHARED} not present (only beside the project's own repo)")
    return SHARED


# Simulation jobs run on a thread of the test process: worker processes would cost seconds to start.
TEST_JOBS = JobSettings(scheduler="thread", shutdown_grace_s=2.0)
QUEUE_ONLY = JobSettings(scheduler="thread", workers=0)  # apps whose tests run no simulation


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return create_app(Settings(database_url=f"sqlite:///{tmp_path / 'service.db'}", jobs=TEST_JOBS))


@pytest.fixture
def api_key(app: FastAPI) -> str:
    with app.state.sessions() as session:
        _, key = repo.create_api_key(session=session, name="tests")
        session.commit()
    return key
