"""Simulations run as background jobs and report status, progress and the summary."""

from __future__ import annotations

from fastapi.testclient import TestClient

from mbctwin.case.io import example_case


def _body(**changes: object) -> dict:
    case = example_case("triple-negative-first-line").model_dump(mode="json")
    return {"case": case, "patients": 300, "years": 4, "seed": 5, **changes}


def test_simulation_job_runs_to_done_with_a_summary(client: TestClient) -> None:
    created = client.post("/v1/simulations", json=_body())
    assert created.status_code == 202
    job = created.json()
    assert job["status"] == "queued"
    done = client.get(f"/v1/simulations/{job['id']}").json()  # TestClient runs background tasks first
    assert done["status"] == "done"
    assert done["progress"] == 1.0
    assert done["result"]["patients"] == 300
    assert done["seed"] == 5


def test_same_seed_gives_the_same_result(client: TestClient) -> None:
    first = client.post("/v1/simulations", json=_body()).json()["id"]
    second = client.post("/v1/simulations", json=_body()).json()["id"]
    results = [client.get(f"/v1/simulations/{i}").json()["result"] for i in (first, second)]
    assert results[0] == results[1]


def test_bad_requests_are_422_naming_the_field(client: TestClient) -> None:
    response = client.post("/v1/simulations", json=_body(patients=5, policy="guess"))
    assert response.status_code == 422
    fields = {item["field"] for item in response.json()["detail"]}
    assert {"patients", "policy"} <= fields
    unknown_drug = client.post("/v1/simulations", json=_body(policy="fixed:letrozol"))
    assert unknown_drug.status_code == 422
    assert "letrozol" in unknown_drug.json()["detail"][0]["message"]
    bad_case = _body()
    bad_case["case"]["ecog"] = 9
    assert "case.ecog" in {i["field"] for i in client.post("/v1/simulations", json=bad_case).json()["detail"]}


def test_simulations_need_a_key_and_unknown_ids_are_404(client: TestClient, anonymous: TestClient) -> None:
    assert anonymous.post("/v1/simulations", json=_body()).status_code == 401
    assert client.get("/v1/simulations/00000000-0000-0000-0000-000000000000").status_code == 404


def test_cohort_job_runs_to_done_with_the_cohort_summary(client: TestClient) -> None:
    body = {"subtype": "TNBC", "presentation": "recurrent", "patients": 200, "years": 3, "seed": 2}
    job = client.post("/v1/simulations/cohort", json=body).json()
    done = client.get(f"/v1/simulations/{job['id']}").json()
    assert done["status"] == "done"
    assert done["parameters"]["subtype"] == "triple-negative"  # aliases resolve to the canonical name
    assert done["result"]["patients"] == 200
    assert set(done["result"]["site_ever_percent"]) == {"bone", "liver", "lung", "brain"}


def test_a_dated_cohort_job_states_its_years(client: TestClient) -> None:
    body = {"subtype": "TNBC", "patients": 100, "years": 2, "seed": 2, "treated_from": [2010, 2012]}
    job = client.post("/v1/simulations/cohort", json=body).json()
    done = client.get(f"/v1/simulations/{job['id']}").json()
    assert done["status"] == "done"
    assert done["result"]["treated_from"] == [2010, 2012]
    bad = client.post("/v1/simulations/cohort", json={**body, "treated_from": [2016, 2008]})
    assert bad.status_code == 422
    assert "treated_from" in {item["field"] for item in bad.json()["detail"]}


def test_bad_cohort_requests_are_422_naming_the_field(client: TestClient) -> None:
    response = client.post("/v1/simulations/cohort", json={"subtype": "luminal-z", "presentation": "late"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert {"subtype", "presentation"} <= {item["field"] for item in detail}
    assert any("HR+/HER2-" in item["message"] for item in detail)  # the valid subtypes are listed
