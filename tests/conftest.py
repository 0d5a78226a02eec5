"""Shared fixtures: the packaged knowledge base, a valid base case, the shared spec folder, and an
HTTP app on a temporary SQLite file (authentication on) with a valid API key."""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Iterator
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


def prior_line(
    drugs: list[str], ended_because: str, months: float | None = None, setting: str = "metastatic"
) -> dict[str, Any]:
    """One prior therapy as a case file writes it (``months_on_treatment`` only when given)."""
    line: dict[str, Any] = {"setting": setting, "drugs": drugs, "ended_because": ended_because}
    return line if months is None else {**line, "months_on_treatment": months}


SERVICE_LOGGERS = ("mbctwin.service", "mbctwin.store", "uvicorn")
SERVICE_LOG: list[str] = []


class _ServiceLog(logging.Handler):
    """Every line the service logs during the whole run, formatted as ``mbc serve`` writes it."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(SERVICE_LOGGERS):
            from mbctwin.service.logs import OneLineFormatter

            SERVICE_LOG.append(OneLineFormatter().format(record))


def case_values_in(lines: list[str]) -> list[str]:
    """Log lines holding a value of the tests' cases: a drug name or a case-id canary."""
    from mbctwin.case.vocabulary import known_drugs

    values = {d for d in known_drugs() if len(d) >= 6} | {"canary-patient", "audit-canary"}
    return [line for line in lines if any(v in line.lower() for v in values)]


@pytest.fixture(scope="session", autouse=True)
def service_log() -> Iterator[list[str]]:
    """Collect the service's log lines of the whole run; ``pytest_sessionfinish`` scans them for case data."""
    handler = _ServiceLog(level=logging.DEBUG)
    logging.getLogger().addHandler(handler)
    logging.getLogger("mbctwin").setLevel(logging.INFO)
    yield SERVICE_LOG
    logging.getLogger().removeHandler(handler)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No case content in any log line of the whole test run: fail the run when a line holds a case value."""
    leaks = case_values_in(SERVICE_LOG)
    if leaks:
        print("\nservice log lines holding case content:\n" + "\n".join(leaks[:20]))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
