"""Tenants, scopes and audit: another tenant's record is a 404 everywhere, scopes limit what a key may do,
every write names its key, keys expire, are revoked and rotated, and signing out ends the session on the server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mbctwin.cli import app as cli
from mbctwin.store import repo
from mbctwin.store.tables import ApiKeyRow
from tests.conftest import BASE_CASE
from tests.web.conftest import valid_form


def _key(app: FastAPI, name: str, tenant: str = "default", scopes: tuple[str, ...] = ("read", "write")) -> str:
    with app.state.sessions() as session:
        _, key = repo.create_api_key(session=session, name=name, tenant=tenant, scopes=scopes)
        session.commit()
    return key


@pytest.fixture
def two(app: FastAPI) -> Iterator[tuple[TestClient, TestClient]]:
    """Clients of two tenants on one service."""
    with (
        TestClient(app, headers={"X-API-Key": _key(app, "a", "clinic-a")}) as a,
        TestClient(app, headers={"X-API-Key": _key(app, "b", "clinic-b")}) as b,
    ):
        yield a, b


def test_another_tenants_records_are_404_everywhere(two: tuple[TestClient, TestClient]) -> None:
    a, b = two
    created = a.post("/v1/plans", json=BASE_CASE).json()
    case_id, plan_id = created["case_id"], created["id"]
    assert a.get(f"/v1/cases/{case_id}").status_code == 200
    assert b.get(f"/v1/cases/{case_id}").status_code == 404
    assert b.get(f"/v1/plans/{plan_id}").status_code == 404
    assert b.put(f"/v1/cases/{case_id}", json=BASE_CASE).status_code == 404
    assert b.get("/v1/cases").json()["total"] == 0
    assert a.get("/v1/cases").json()["total"] == 1
    job = a.post("/v1/simulations", json={"case": BASE_CASE, "patients": 10, "years": 1}).json()
    assert b.get(f"/v1/simulations/{job['id']}").status_code == 404
    assert b.delete(f"/v1/simulations/{job['id']}").status_code == 404


def test_web_pages_show_only_the_tenants_cases(app: FastAPI) -> None:
    pages = []
    for name, tenant in (("a", "clinic-a"), ("b", "clinic-b")):
        client = TestClient(app, follow_redirects=False)
        client.__enter__()
        client.post("/ui/login", data={"api_key": _key(app, name, tenant)})
        pages.append(client)
    a, b = pages
    plan_url = a.post("/ui/case", data=valid_form()).headers["location"]
    assert a.get(plan_url).status_code == 200
    assert b.get(plan_url).status_code == 404
    assert "ECOG 1" in a.get("/ui/history").text
    assert "ECOG 1" not in b.get("/ui/history").text
    for client in pages:
        client.__exit__(None, None, None)


def test_scopes_limit_what_a_key_may_do(app: FastAPI) -> None:
    with TestClient(app, headers={"X-API-Key": _key(app, "reader", scopes=("read",))}) as reader:
        assert reader.get("/v1/cases").status_code == 200
        refused = reader.post("/v1/plans", json=BASE_CASE)
        assert refused.status_code == 403
        assert "'write' scope" in refused.json()["detail"]
        assert reader.get("/v1/audit").status_code == 403


def test_every_write_is_audited_with_its_key_and_no_case_content(app: FastAPI, client: TestClient) -> None:
    created = client.post("/v1/plans", json={**BASE_CASE, "id": "audit-canary-41"}).json()
    client.put(f"/v1/cases/{created['case_id']}", json=BASE_CASE)
    with TestClient(app, headers={"X-API-Key": _key(app, "admin", scopes=("read", "admin"))}) as admin:
        audit = admin.get("/v1/audit").json()
    actions = [(i["action"], i["key_name"]) for i in audit["items"]]
    assert ("case.create", "tests") in actions
    assert ("plan.create", "tests") in actions
    assert ("case.update", "tests") in actions
    assert audit["items"][0]["action"] == "case.update"  # newest first
    assert "audit-canary-41" not in json.dumps(audit)


def test_audit_is_per_tenant(app: FastAPI, two: tuple[TestClient, TestClient]) -> None:
    a, _ = two
    a.post("/v1/plans", json=BASE_CASE)
    with TestClient(app, headers={"X-API-Key": _key(app, "b-admin", "clinic-b", ("read", "admin"))}) as admin:
        assert admin.get("/v1/audit").json()["total"] == 0


def test_revoked_and_expired_keys_stop_working_and_last_use_is_kept(app: FastAPI) -> None:
    key = _key(app, "short-lived")
    with TestClient(app, headers={"X-API-Key": key}) as client:
        assert client.get("/v1/cases").status_code == 200
        with app.state.sessions() as session:
            row = repo.verify_api_key(session=session, key=key)
            assert row is not None
            assert row.last_used_at is not None
            row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
            session.commit()
        assert client.get("/v1/cases").status_code == 401
    other = _key(app, "revoked")
    with app.state.sessions() as session:
        prefix = other.split("_")[1]
        repo.revoke_api_key(session=session, ref=prefix)
        session.commit()
    with TestClient(app, headers={"X-API-Key": other}) as client:
        assert client.get("/v1/cases").status_code == 401


def test_sign_out_ends_the_session_on_the_server(app: FastAPI, api_key: str) -> None:
    with TestClient(app, follow_redirects=False) as browser:
        browser.post("/ui/login", data={"api_key": api_key})
        stolen = browser.cookies.get("mbc_session")
        assert browser.get("/ui/history").status_code == 200
        browser.post("/ui/logout")
    with TestClient(app, follow_redirects=False) as thief:
        thief.cookies.set("mbc_session", stolen)
        assert thief.get("/ui/history").status_code == 303  # the copied cookie no longer works


def test_revoking_a_key_ends_its_web_sessions(app: FastAPI) -> None:
    key = _key(app, "browser")
    with TestClient(app, follow_redirects=False) as browser:
        browser.post("/ui/login", data={"api_key": key})
        assert browser.get("/ui/history").status_code == 200
        with app.state.sessions() as session:
            repo.revoke_api_key(session=session, ref=key.split("_")[1])
            session.commit()
        assert browser.get("/ui/history").status_code == 303


def test_cli_creates_lists_rotates_and_revokes_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    runner = CliRunner()
    made = runner.invoke(
        cli,
        [
            "apikey",
            "create",
            "--name",
            "board",
            "--tenant",
            "clinic-x",
            "--scopes",
            "read,admin",
            "--database-url",
            url,
        ],
    )
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("mbc_")
    listed = json.loads(runner.invoke(cli, ["apikey", "list", "--database-url", url]).stdout)
    assert [(k["name"], k["tenant"], k["scopes"], k["active"]) for k in listed] == [
        ("board", "clinic-x", ["read", "admin"], True)
    ]
    rotated = runner.invoke(
        cli, ["apikey", "rotate", listed[0]["prefix"], "--expires-days", "30", "--database-url", url]
    )
    assert rotated.exit_code == 0, rotated.output
    new_key = rotated.stdout.strip().splitlines()[-1]
    assert new_key.startswith("mbc_")
    assert new_key != key
    after = {k["prefix"]: k for k in json.loads(runner.invoke(cli, ["apikey", "list", "--database-url", url]).stdout)}
    assert after[listed[0]["prefix"]]["active"] is False
    assert after[new_key.split("_")[1]]["expires_at"] is not None
    revoked = runner.invoke(cli, ["apikey", "revoke", new_key.split("_")[1], "--database-url", url])
    assert revoked.exit_code == 0
    bad = runner.invoke(cli, ["apikey", "create", "--name", "x", "--scopes", "read,root", "--database-url", url])
    assert bad.exit_code == 2
    assert "root" in bad.stderr


def test_default_key_is_read_write_in_the_default_tenant(app: FastAPI, api_key: str) -> None:
    with app.state.sessions() as session:
        row = session.query(ApiKeyRow).one()
        assert (row.tenant_id, row.scopes) == ("default", "read,write")
