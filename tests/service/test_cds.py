"""CDS Hooks 2.0 patient-view: discovery, cards from prefetch, 412 on missing prefetch, JWT from an EHR."""

from __future__ import annotations

import json
import time
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from mbctwin.case.fhir import FhirImport
from mbctwin.case.io import example_case
from mbctwin.engine.plan import build_plan
from mbctwin.service.app import create_app
from mbctwin.service.cds import CdsRequest, plan_cards
from mbctwin.service.settings import Settings

URL = "/cds-services/mbctwin-patient-view"
ISSUER = "https://ehr.example.org"


def _bundle(name: str) -> dict[str, Any]:
    path = resources.files("mbctwin.case").joinpath("examples", "fhir", f"{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _request(name: str, drop: str | None = None) -> dict[str, Any]:
    """A patient-view call whose prefetch holds the example Bundle's resources, split as an EHR would."""
    resources_ = [e["resource"] for e in _bundle(name)["entry"]]
    patient = next(r for r in resources_ if r["resourceType"] == "Patient")

    def searchset(*types: str) -> dict[str, Any]:
        entries = [{"resource": r} for r in resources_ if r["resourceType"] in types]
        return {"resourceType": "Bundle", "type": "searchset", "entry": entries}

    prefetch = {
        "patient": patient,
        "conditions": searchset("Condition"),
        "observations": searchset("Observation"),
        "medications": searchset("MedicationRequest", "MedicationAdministration", "MedicationStatement"),
    }
    if drop:
        prefetch[drop] = None
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": patient["id"]},
        "prefetch": prefetch,
    }


def test_discovery_lists_the_patient_view_service(anonymous: TestClient) -> None:
    service = anonymous.get("/cds-services").json()["services"][0]
    assert (service["hook"], service["id"]) == ("patient-view", "mbctwin-patient-view")
    assert set(service["prefetch"]) == {"patient", "conditions", "observations", "medications"}


def test_prefetch_gives_top_options_with_source_links(client: TestClient) -> None:
    cards = client.post(URL, json=_request("her2-positive-de-novo-brain")).json()["cards"]
    options = [c for c in cards if c["summary"].startswith("Option")]
    assert len(options) == 3
    assert "HR-/HER2+" in options[0]["summary"]
    assert all(c["links"] and len(c["summary"]) < 140 and c["indicator"] == "info" for c in options)
    assert all(link["url"].startswith("https://") for c in options for link in c["links"])
    assert len({c["uuid"] for c in cards}) == len(cards)
    assert "could not be used" in cards[-1]["summary"]  # the disease-status Observation


def test_urgent_flags_are_critical_cards_first() -> None:
    case = example_case("frail-cord-compression")
    request = CdsRequest.model_validate(_request("hr-positive-recurrent"))
    cards = plan_cards(request, FhirImport(case=case, unmapped=[]), build_plan(case))
    assert cards[0].indicator == "critical"
    assert "spinal cord compression" in cards[0].summary


def test_missing_required_prefetch_is_412(client: TestClient) -> None:
    assert client.post(URL, json=_request("hr-positive-recurrent", drop="observations")).status_code == 412


def test_incomplete_record_gives_a_warning_card_not_a_plan(client: TestClient) -> None:
    request = _request("hr-positive-recurrent")
    request["prefetch"]["observations"]["entry"] = []
    cards = client.post(URL, json=request).json()["cards"]
    assert [c["indicator"] for c in cards] == ["warning"]
    assert "ecog" in cards[0]["detail"]


@pytest.fixture
def jwt_app(tmp_path: Path) -> tuple[TestClient, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "ehr-1", "alg": "RS384"}]}))
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", jwt_issuer=ISSUER, jwks_file=tmp_path / "jwks.json"
    )
    return TestClient(create_app(settings)), key


def _token(key: rsa.RSAPrivateKey, **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": f"http://testserver{URL}", "exp": now + 300, "iat": now, "jti": "j1", **changes}
    return jwt.encode(claims, key, algorithm="RS384", headers={"kid": "ehr-1"})


def test_jwt_from_the_configured_issuer_is_accepted(jwt_app: tuple[TestClient, rsa.RSAPrivateKey]) -> None:
    client, key = jwt_app
    headers = {"Authorization": f"Bearer {_token(key)}"}
    assert client.post(URL, json=_request("hr-positive-recurrent"), headers=headers).status_code == 200


@pytest.mark.parametrize("changes", [{"iss": "https://evil.example"}, {"aud": "http://other/"}, {"exp": 1}])
def test_bad_jwts_are_refused(jwt_app: tuple[TestClient, rsa.RSAPrivateKey], changes: dict[str, Any]) -> None:
    client, key = jwt_app
    headers = {"Authorization": f"Bearer {_token(key, **changes)}"}
    assert client.post(URL, json=_request("hr-positive-recurrent"), headers=headers).status_code == 401


def test_a_replayed_jwt_is_refused(jwt_app: tuple[TestClient, rsa.RSAPrivateKey]) -> None:
    client, key = jwt_app
    headers = {"Authorization": f"Bearer {_token(key, jti='once-only')}"}
    assert client.post(URL, json=_request("hr-positive-recurrent"), headers=headers).status_code == 200
    assert client.post(URL, json=_request("hr-positive-recurrent"), headers=headers).status_code == 401


def test_a_long_lived_jwt_is_refused(jwt_app: tuple[TestClient, rsa.RSAPrivateKey]) -> None:
    client, key = jwt_app
    now = int(time.time())
    headers = {"Authorization": f"Bearer {_token(key, jti='long', iat=now, exp=now + 3600)}"}
    assert client.post(URL, json=_request("hr-positive-recurrent"), headers=headers).status_code == 401


def test_jwt_signed_by_another_key_is_refused(jwt_app: tuple[TestClient, rsa.RSAPrivateKey]) -> None:
    client, _ = jwt_app
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers = {"Authorization": f"Bearer {_token(other)}"}
    assert client.post(URL, json=_request("hr-positive-recurrent"), headers=headers).status_code == 401


@pytest.mark.parametrize("entry", [7, [1, "x", {"resource": 3}], "text"])
def test_malformed_prefetch_bundles_are_not_a_server_error(client: TestClient, entry: Any) -> None:
    request = _request("hr-positive-recurrent")
    request["prefetch"]["conditions"]["entry"] = entry
    response = client.post(URL, json=request)
    assert response.status_code == 200
    assert response.json()["cards"][0]["indicator"] == "warning"
