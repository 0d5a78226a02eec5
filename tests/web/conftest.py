"""Browser-like clients of the shared app (tests/conftest.py), signed in or not, and a demo app without
authentication."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mbctwin.service.app import create_app
from mbctwin.service.settings import Settings
from tests.conftest import QUEUE_ONLY


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def client(app: FastAPI, api_key: str) -> Iterator[TestClient]:
    """A browser-like client signed in through the sign-in form."""
    with TestClient(app, follow_redirects=False) as client:
        response = client.post("/ui/login", data={"api_key": api_key, "next": "/ui/case"})
        assert response.status_code == 303
        yield client


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", auth=False, jobs=QUEUE_ONLY))
    with TestClient(app, follow_redirects=False) as client:
        yield client


def fhir_example(name: str = "hr-positive-recurrent") -> bytes:
    folder = resources.files("mbctwin.case").joinpath("examples", "fhir")
    return folder.joinpath(f"{name}.json").read_bytes()


def valid_form() -> dict[str, str | list[str]]:
    """The fields a clinician fills for a first-line HR+/HER2- case with painful bone metastases."""
    return {
        "age": "63",
        "sex": "female",
        "menopausal_status": "post",
        "ecog": "1",
        "presentation": "recurrent",
        "disease_free_interval_months": "48",
        "tumor.er": "positive",
        "tumor.er_percent": "90",
        "tumor.pr": "positive",
        "tumor.her2_ihc": "1+",
        "tumor.her2_ish": "not_done",
        "metastases.0.site": "bone",
        "metastases.0.count": "4",
        "metastases.0.symptomatic": "true",
        "metastases.1.site": "lung",
        "metastases.1.count": "2",
        "symptoms.pain_score": "6",
        "prior_therapies.0.setting": "adjuvant",
        "prior_therapies.0.drugs": "letrozole",
        "prior_therapies.0.months_on_treatment": "60",
        "prior_therapies.0.ended_because": "completed",
        "comorbidities": ["hypertension"],
    }


def as_json(data: object) -> bytes:
    return json.dumps(data).encode()
