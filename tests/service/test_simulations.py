"""Simulation jobs: queued in the database, run by the worker pool, polled, limited per key and by
patient-years (429 + Retry-After), cancelled, and scoped to their tenant."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from mbctwin.case.io import example_case
from mbctwin.store import repo

FINISHED = {"done", "failed", "cancelled"}


def _body(**changes: object) -> dict[str, Any]:
    case = example_case("triple-negative-first-line").model_dump(mode="json")
    return {"case": case, "patients": 300, "years": 4, "seed": 5, **changes}


def wait_finished(client: TestClient, job_id: str, timeout: float = 60) -> dict[str, Any]:
    """Poll until the job has finished (the worker runs beside the test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/simulations/{job_id}").json()
        if job["status"] in FINISHED:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")


def test_simulation_job_runs_to_done_with_a_summary(client: TestClient) -> None:
    created = client.post("/v1/simulations", json=_body())
    assert created.status_code == 202
    job = created.json()
    assert job["status"] == "queued"
    done = wait_finished(client, job["id"])
    assert done["status"] == "done"
    assert done["progress"] == 1.0
    assert done["result"]["patients"] == 300
    assert (done["seed"], done["attempts"], done["error"]) == (5, 1, None)


def test_same_seed_gives_the_same_result(client: TestClient) -> None:
    ids = [client.post("/v1/simulations", json=_body()).json()["id"] for _ in range(2)]
    results = [wait_finished(client, i)["result"] for i in ids]
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
    done = wait_finished(client, job["id"])
    assert done["status"] == "done"
    assert done["parameters"]["subtype"] == "triple-negative"  # aliases resolve to the canonical name
    assert done["result"]["patients"] == 200
    assert set(done["result"]["site_ever_percent"]) == {"bone", "liver", "lung", "brain"}


def test_a_dated_cohort_job_states_its_years(client: TestClient) -> None:
    body = {"subtype": "TNBC", "patients": 100, "years": 2, "seed": 2, "treated_from": [2010, 2012]}
    job = client.post("/v1/simulations/cohort", json=body).json()
    done = wait_finished(client, job["id"])
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


def _queue_only(app: FastAPI) -> None:
    """Stop the workers so that submitted jobs stay queued (admission is what is tested)."""
    app.state.jobs.stop()


def test_a_fifth_job_of_one_key_is_429_with_retry_after(app: FastAPI, client: TestClient, api_key: str) -> None:
    _queue_only(app)
    accepted = [client.post("/v1/simulations", json=_body()).status_code for _ in range(4)]
    assert accepted == [202] * 4
    refused = client.post("/v1/simulations", json=_body())
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "limit 4" in refused.json()["detail"]
    with app.state.sessions() as session:
        _, other = repo.create_api_key(session=session, name="second")
        session.commit()
    assert client.post("/v1/simulations", json=_body(), headers={"X-API-Key": other}).status_code == 202


def test_the_patient_year_budget_is_429_for_every_key(app: FastAPI, client: TestClient) -> None:
    _queue_only(app)
    budget = app.state.settings.jobs.patient_years
    big = _body(patients=200_000, years=40)  # 8 M patient-years each
    statuses = [client.post("/v1/simulations", json=big).status_code for _ in range(int(budget // 8e6) + 1)]
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {202}


def test_cancel_a_queued_job_and_it_never_runs(app: FastAPI, client: TestClient) -> None:
    _queue_only(app)
    job = client.post("/v1/simulations", json=_body()).json()
    cancelled = client.delete(f"/v1/simulations/{job['id']}")
    assert cancelled.status_code == 202
    assert cancelled.json()["status"] == "cancelled"
    assert client.get(f"/v1/simulations/{job['id']}").json()["error"] == "cancelled on request"
    assert client.post("/v1/simulations", json=_body()).status_code == 202  # it no longer counts


def test_cancel_a_running_job(client: TestClient) -> None:
    job = client.post("/v1/simulations", json=_body(patients=80_000, years=10)).json()
    deadline = time.monotonic() + 30
    while client.get(f"/v1/simulations/{job['id']}").json()["status"] == "queued" and time.monotonic() < deadline:
        time.sleep(0.05)
    client.delete(f"/v1/simulations/{job['id']}")
    finished = wait_finished(client, job["id"])
    assert finished["status"] == "cancelled"
    assert finished["result"] is None
