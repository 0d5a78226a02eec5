"""Contract test: schemathesis drives every operation of the app's own OpenAPI schema; no response is a 5xx."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from mbctwin.service.app import create_app
from mbctwin.service.jobs import JobSettings
from mbctwin.service.settings import Settings
from mbctwin.store import repo

_FOLDER = Path(tempfile.mkdtemp(prefix="mbc-contract-"))
# Jobs are queued but not run (no workers): the fuzzer's simulations would take minutes.
APP = create_app(
    Settings(database_url=f"sqlite:///{_FOLDER / 'contract.db'}", jobs=JobSettings(scheduler="thread", workers=0))
)
with APP.state.sessions() as _session:
    _, KEY = repo.create_api_key(session=_session, name="contract")
    _session.commit()

# Fuzzing only, a few examples per operation: the suite's time budget is small.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}, "examples": {"enabled": False}}}
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    """The schema must exist at import (parametrisation), so its database is removed here, at the end."""
    yield
    APP.state.engine.dispose()
    shutil.rmtree(_FOLDER, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"X-API-Key": KEY}, checks=[not_a_server_error])
