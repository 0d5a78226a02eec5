"""HTTP API: plans and versioned cases, field-level 422s with the CLI's messages, 413, request ids."""

from __future__ import annotations

import copy
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from mbctwin.case.io import parse_case
from mbctwin.errors import CaseError
from tests.conftest import BASE_CASE


def test_post_plan_stores_it_and_returns_id_and_plan(client: TestClient) -> None:
    response = client.post("/v1/plans", json=BASE_CASE)
    assert response.status_code == 201
    body = response.json()
    assert body["plan"]["case_id"] == "base"
    assert body["plan"]["systemic"][0]["rank"] == 1
    assert client.get(f"/v1/plans/{body['id']}").json() == body
    assert client.get(f"/v1/cases/{body['case_id']}").json()["case"]["id"] == "base"


def test_case_update_makes_a_version_and_the_old_one_stays_readable(client: TestClient) -> None:
    created = client.post("/v1/cases", json=BASE_CASE).json()
    updated = client.put(f"/v1/cases/{created['id']}", json={**BASE_CASE, "ecog": 2}).json()
    assert (created["version"], updated["version"]) == (1, 2)
    assert client.get(f"/v1/cases/{created['id']}", params={"version": 1}).json()["case"]["ecog"] == 1
    assert client.get(f"/v1/cases/{created['id']}").json()["case"]["ecog"] == 2
    listing = client.get("/v1/cases").json()
    assert listing["total"] == 1
    assert listing["items"][0]["version"] == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/v1/cases/nope"), ("get", "/v1/plans/nope"), ("put", "/v1/cases/nope")],
)
def test_unknown_ids_are_404(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, json=BASE_CASE if method == "put" else None)
    assert response.status_code == 404


def test_bad_case_gives_422_with_the_same_field_messages_as_the_cli(client: TestClient) -> None:
    bad = copy.deepcopy(BASE_CASE)
    bad.update(ecog=7, extra_thing=1)
    bad["tumor"]["her2_ihc"] = "5+"
    with pytest.raises(CaseError) as cli_error:
        parse_case(bad)
    response = client.post("/v1/plans", json=bad)
    assert response.status_code == 422
    expected = sorted((p.field, p.message) for p in cli_error.value.problems)
    assert sorted((d["field"], d["message"]) for d in response.json()["detail"]) == expected


def test_contradiction_gives_422_naming_every_field(client: TestClient) -> None:
    bad = copy.deepcopy(BASE_CASE) | {"disease_free_interval_months": 20, "ecog": True}
    response = client.post("/v1/plans", json=bad)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["detail"]}
    assert fields == {"ecog"} or {"presentation", "disease_free_interval_months"} <= fields
    response = client.post("/v1/plans", json=bad | {"ecog": 1})
    assert {d["field"] for d in response.json()["detail"]} == {"presentation", "disease_free_interval_months"}


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"null", b'"text"'])
def test_malformed_bodies_are_422_never_500(client: TestClient, body: bytes) -> None:
    response = client.post("/v1/cases", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert all({"field", "message"} <= set(d) for d in response.json()["detail"])


def test_oversized_body_is_413(client: TestClient) -> None:
    response = client.post("/v1/plans", content=b" " * 1_100_000, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_chunked_oversized_body_is_413(client: TestClient) -> None:
    chunks = (b" " * 100_000 for _ in range(12))
    response = client.post("/v1/plans", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_request_id_is_returned_and_logged_without_patient_data(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="mbctwin.service"):
        response = client.post("/v1/plans", json={**BASE_CASE, "id": "Jane-Doe-1961"}, headers={"X-Request-ID": "r-42"})
    assert response.headers["x-request-id"] == "r-42"
    assert "request_id=r-42" in caplog.text
    assert "Jane-Doe" not in caplog.text
    assert "positive" not in caplog.text


def test_knowledge_base_and_health(client: TestClient) -> None:
    kb = client.get("/v1/knowledge-base").json()
    assert kb["version"]
    assert any(r["id"] == "letrozole_ribociclib" for r in kb["regimens"])
    assert client.get("/healthz").json()["status"] == "ok"


def test_concurrent_updates_each_get_their_own_version(client: TestClient) -> None:
    case_id = client.post("/v1/cases", json=BASE_CASE).json()["id"]
    with ThreadPoolExecutor(max_workers=6) as pool:
        versions = list(
            pool.map(
                lambda ecog: client.put(f"/v1/cases/{case_id}", json={**BASE_CASE, "ecog": ecog % 5}).json()["version"],
                range(12),
            )
        )
    assert sorted(versions) == list(range(2, 14))
