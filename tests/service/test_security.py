"""Logs, headers and docs: route templates instead of raw paths, no control characters, no case content in
any log line, no exception text; security headers on every response; Swagger UI served from this process."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import BASE_CASE, case_values_in
from tests.web.conftest import valid_form

CANARY = "canary-patient-7f3a"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    from mbctwin.service.logs import OneLineFormatter

    formatter = OneLineFormatter()  # the service's records (the test client logs its own URLs)
    return [formatter.format(r) for r in caplog.records if r.name.startswith(("mbctwin", "uvicorn"))]


def test_access_log_names_the_route_template_not_the_path(client: TestClient, logs: Any) -> None:
    case_id = client.post("/v1/cases", json={**BASE_CASE, "id": CANARY}).json()["id"]
    client.get(f"/v1/cases/{case_id}")
    client.get("/v1/cases/x%0a2026-01-01 INFO forged line")
    lines = _lines(logs)
    assert any("GET /v1/cases/{case_id} -> 200" in line for line in lines)
    assert not any(case_id in line or "forged" in line or CANARY in line for line in lines)
    assert all("\n" not in line for line in lines)


def test_an_unhandled_error_is_a_500_logged_by_type_only(client: TestClient, logs: Any, monkeypatch: Any) -> None:
    def explode(*_: Any, **__: Any) -> None:
        raise ValueError(f"tumor.her2_ihc 3+ of {CANARY} on trastuzumab")

    monkeypatch.setattr("mbctwin.service.routes.plans.build_plan", explode)
    response = client.post("/v1/plans", json=BASE_CASE)
    assert response.status_code == 500
    assert CANARY not in response.text
    lines = _lines(logs)
    assert any("error=ValueError" in line for line in lines)
    assert not any(CANARY in line or "trastuzumab" in line for line in lines)


def test_the_whole_run_scan_finds_case_values(service_log: list[str]) -> None:
    assert case_values_in(["request_id=1 POST /v1/plans -> 201", "simulation failed: ValueError"]) == []
    leaked = "request_id=2 POST /v1/plans -> 500 error: letrozole for canary-patient-7f3a"
    assert case_values_in([leaked]) == [leaked]
    assert service_log  # the service's lines of this run are being collected


def test_the_formatter_keeps_one_record_on_one_line() -> None:
    from mbctwin.service.logs import OneLineFormatter

    try:
        raise KeyError(f"secret {CANARY}")
    except KeyError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, "f", 1, "bad\r\ninjected %s", ("\x1b[31mred",), sys.exc_info())
    line = OneLineFormatter().format(record)
    assert "\n" not in line
    assert "\x1b" not in line
    assert CANARY not in line
    assert "[exception KeyError]" in line


@pytest.mark.parametrize("path", ["/ui/login", "/v1/cases", "/docs", "/healthz"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    script = re.search(r"script-src ([^;]*)", csp)
    assert script is not None
    assert "'unsafe-inline'" not in script.group(1)
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"


def test_patient_pages_are_not_stored_but_static_files_may_be(app: Any, api_key: str) -> None:
    with TestClient(app, follow_redirects=False) as browser:
        browser.post("/ui/login", data={"api_key": api_key})
        plan = browser.post("/ui/case", data=valid_form()).headers["location"]
        assert browser.get(plan).headers["cache-control"] == "no-store"
        assert "no-store" not in browser.get("/ui/static/app.css").headers.get("cache-control", "")


def test_no_page_has_an_inline_script(app: Any, api_key: str) -> None:
    with TestClient(app, follow_redirects=False) as browser:
        browser.post("/ui/login", data={"api_key": api_key})
        plan = browser.post("/ui/case", data=valid_form()).headers["location"]
        for path in ("/ui/case", plan, "/ui/history", f"{plan}/outlook", "/docs"):
            html = browser.get(path).text
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
            assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers either


def test_swagger_ui_is_served_locally(anonymous: TestClient) -> None:
    page = anonymous.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources
    assert all(s.startswith("/docs/static/") for s in sources)
    for source in sources:
        assert anonymous.get(source).status_code == 200
    assert "SwaggerUIBundle" in anonymous.get("/docs/static/swagger/swagger-ui-bundle.js").text
