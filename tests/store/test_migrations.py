"""Migrations: a database made by revision 0001 (keys, cases, plans, jobs) upgrades to tenants, scopes and
audit with its data intact (SQLite and PostgreSQL), and two processes starting on one fresh database at
once both succeed."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from mbctwin.store import repo
from mbctwin.store.db import make_engine, migrate, session_factory
from tests.store.conftest import _postgres_url, _reset

NOW = datetime(2026, 1, 2, tzinfo=UTC)


def _fill_0001(engine: Engine) -> str:
    """Rows as revision 0001 wrote them; returns the plain API key."""
    from mbctwin.store.repo import _digest

    salt, secret = "00" * 16, "secret-of-old-key"
    with engine.begin() as db:
        db.execute(
            text("INSERT INTO api_keys (id, name, prefix, salt, digest, created_at) VALUES (:i, :n, :p, :s, :d, :t)"),
            {"i": "k1", "n": "old", "p": "abc123", "s": salt, "d": _digest(salt, secret), "t": NOW},
        )
        db.execute(text("INSERT INTO cases (id, latest_version, created_at) VALUES ('c1', 2, :t)"), {"t": NOW})
        for version, label in ((1, "first"), (2, "old-label")):
            db.execute(
                text("INSERT INTO case_versions (case_id, version, data, created_at) VALUES ('c1', :v, :d, :t)"),
                {"v": version, "d": f'{{"id": "{label}", "age": 60}}', "t": NOW},
            )
        db.execute(
            text(
                "INSERT INTO simulations (id, kind, parameters, seed, status, progress, created_at, updated_at)"
                " VALUES ('s1', 'course', :p, 1, 'done', 1.0, :t, :t)"
            ),
            {"p": '{"patients": 1000, "years": 5}', "t": NOW},
        )
    return f"mbc_abc123_{secret}"


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    url = f"sqlite:///{tmp_path / 'old.db'}" if request.param == "sqlite" else _postgres_url()
    engine = make_engine(url)
    _reset(engine)
    yield engine
    _reset(engine)
    engine.dispose()


def test_a_0001_database_upgrades_with_its_data(fresh: Engine) -> None:
    migrate(fresh, "0001")
    key = _fill_0001(fresh)
    migrate(fresh)
    assert {"tenants", "audit_log", "web_sessions"} <= set(inspect(fresh).get_table_names())
    with session_factory(fresh)() as session:
        row = repo.verify_api_key(session=session, key=key)
        assert row is not None
        assert (row.tenant_id, row.scopes) == ("default", "read,write")
        items = repo.history(session=session, tenant="default")
        assert [(i.case.label, i.version.version) for i in items] == [("old-label", 2)]
        assert repo.history(session=session, tenant="default", search="OLD-lab")[0].case.id == "c1"
        job = repo.get_simulation(session=session, tenant="default", simulation_id="s1")
        assert job is not None
        assert (job.patient_years, job.attempts, job.error) == (5000.0, 0, None)
    migrate(fresh)  # idempotent


def _apikey_create(url: str, name: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "mbctwin", "apikey", "create", "--name", name, "--database-url", url]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_processes_migrate_one_fresh_database_safely(fresh: Engine) -> None:
    url = fresh.url.render_as_string(hide_password=False)
    processes = [_apikey_create(url, f"k{i}") for i in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], [err[-800:] for _, err in outputs]
    assert all(out.strip().splitlines()[-1].startswith("mbc_") for out, _ in outputs)
    with session_factory(fresh)() as session:
        assert sorted(k.name for k in repo.list_api_keys(session=session)) == ["k0", "k1"]
