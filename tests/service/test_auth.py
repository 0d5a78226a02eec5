"""Authentication is on by default: writes and stored data need a key; a few endpoints stay open."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mbctwin.cli import app as cli
from mbctwin.cli.serve import is_loopback
from mbctwin.store import repo
from mbctwin.store.db import make_engine, session_factory
from tests.conftest import BASE_CASE

PROTECTED = [
    ("post", "/v1/plans"),
    ("get", "/v1/plans/x"),
    ("get", "/v1/cases"),
    ("post", "/v1/cases"),
    ("get", "/v1/cases/x"),
    ("put", "/v1/cases/x"),
    ("post", "/v1/cases/$import-fhir"),
    ("get", "/v1/knowledge-base"),
    ("post", "/cds-services/mbctwin-patient-view"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_protected_endpoints_need_a_key(anonymous: TestClient, method: str, path: str) -> None:
    body = BASE_CASE if method in ("post", "put") else None
    assert anonymous.request(method, path, json=body).status_code == 401
    assert anonymous.request(method, path, json=body, headers={"X-API-Key": "mbc_bad_key"}).status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/openapi.json", "/docs", "/cds-services"])
def test_open_endpoints(anonymous: TestClient, path: str) -> None:
    assert anonymous.get(path).status_code == 200


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("example.org", False),
    ],
)
def test_no_auth_only_on_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serve_refuses_no_auth_on_a_public_address() -> None:
    result = CliRunner().invoke(cli, ["serve", "--no-auth", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refused" in result.stderr


def test_apikey_create_prints_the_key_alone_and_stores_only_a_hash(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    result = CliRunner().invoke(cli, ["apikey", "create", "--name", "board", "--database-url", url])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert re.fullmatch(r"mbc_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", key)
    assert result.stdout == key + "\n"
    assert key.split("_", 2)[2] not in (tmp_path / "keys.db").read_bytes().decode("latin-1")
    with session_factory(make_engine(url))() as session:
        assert repo.verify_api_key(session=session, key=key) is not None
