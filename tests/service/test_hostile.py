"""Hostile input: alias bombs, deep nesting, wrong shapes and oversized Bundles are 4xx naming the problem,
never a 5xx, never a page that grows with the attack; fuzzing of the web upload and FHIR endpoints."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mbctwin.case.fhir import MAX_ENTRIES, bundle_to_draft
from mbctwin.case.safe_load import MAX_ALIASES, MAX_DEPTH, load_json, load_yaml
from mbctwin.errors import CaseError
from tests.conftest import BASE_CASE
from tests.web.conftest import fhir_example


def alias_bomb(levels: int = 9) -> str:
    """Each level nine aliases of the one before: 9**levels values from a few hundred bytes."""
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    names = "abcdefghijklmnop"
    for i in range(1, levels):
        previous = names[i - 1]
        lines.append(f"{names[i]}: &{names[i]} [{','.join(['*' + previous] * 9)}]")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_is_refused_before_it_expands() -> None:
    with pytest.raises(CaseError) as error:
        load_yaml(alias_bomb())
    assert f"more than {MAX_ALIASES} YAML aliases" in str(error.value)
    few = "base: &b {x: 1}\nother: *b\n"
    assert load_yaml(few) == {"base": {"x": 1}, "other": {"x": 1}}  # a small budget stays usable


def test_a_few_aliases_of_a_large_node_are_counted_expanded() -> None:
    big = "a: &a [" + ",".join(["1"] * 20_000) + "]\n" + "".join(f"k{i}: *a\n" for i in range(12))
    with pytest.raises(CaseError, match="values"):
        load_yaml(big)


@pytest.mark.parametrize("loader", [load_yaml, load_json])
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000])
def test_deep_nesting_is_refused_naming_the_depth(loader: Any, depth: int) -> None:
    with pytest.raises(CaseError, match="nest"):  # ours, or libyaml's "exceeded maximum nesting depth"
        loader("[" * depth + "]" * depth)
    assert loader("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None


def test_json_refuses_nan() -> None:
    with pytest.raises(CaseError, match="NaN"):
        load_json('{"age": NaN}')


def _upload(client: TestClient, name: str, content: bytes) -> Any:
    return client.post("/ui/case/upload", files={"file": (name, content, "application/octet-stream")})


@pytest.fixture
def web(app: Any, api_key: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    client.__enter__()
    assert client.post("/ui/login", data={"api_key": api_key, "next": "/ui/case"}).status_code == 303
    yield client
    client.__exit__(None, None, None)


def test_web_upload_of_an_alias_bomb_is_a_small_422(web: TestClient) -> None:
    response = _upload(web, "bomb.yaml", alias_bomb().encode())
    assert response.status_code == 422
    assert "YAML aliases" in response.text
    assert len(response.content) < 100_000


@pytest.mark.parametrize("name", ["deep.json", "deep.yaml"])
def test_web_upload_of_deep_nesting_is_422(web: TestClient, name: str) -> None:
    response = _upload(web, name, ("[" * 5000 + "]" * 5000).encode())
    assert response.status_code == 422
    assert "nest" in response.text


def test_wrong_shapes_in_an_upload_are_named_not_a_crash(web: TestClient) -> None:
    case = copy.deepcopy(BASE_CASE) | {"comorbidities": [[1]], "metastases": "bone", "tumor": [1, 2]}
    response = _upload(web, "case.json", json.dumps(case).encode())
    assert response.status_code == 422
    for field in ("comorbidities.0", "metastases", "tumor"):
        assert f'href="#f-{field.replace(".", "-")}"' in response.text


def test_api_body_nested_too_deep_is_422_naming_the_body(client: TestClient) -> None:
    deep = "[" * 5000 + "]" * 5000
    response = client.post("/v1/plans", content=deep, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "body"
    assert "nested deeper" in response.json()["detail"][0]["message"]


def _bundle_with_deep_extension(depth: int) -> dict[str, Any]:
    extension: dict[str, Any] = {"url": "http://example.org/x", "valueString": "x"}
    for _ in range(depth):
        extension = {"url": "http://example.org/x", "extension": [extension]}
    patient = {"resourceType": "Patient", "id": "p", "extension": [extension]}
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}]}


def test_fhir_extension_nested_200_deep_is_422(client: TestClient) -> None:
    response = client.post("/v1/cases/$import-fhir", json=_bundle_with_deep_extension(200))
    assert response.status_code == 422
    assert "nested deeper" in json.dumps(response.json())


def test_too_many_bundle_entries_are_refused_naming_the_limit() -> None:
    entries = [{"resource": {"resourceType": "Basic", "id": f"b{i}"}} for i in range(MAX_ENTRIES + 1)]
    with pytest.raises(CaseError) as error:
        bundle_to_draft({"resourceType": "Bundle", "type": "collection", "entry": entries})
    assert error.value.problems[0].field == "bundle.entry"
    assert str(MAX_ENTRIES) in error.value.problems[0].message


def test_entries_sent_twice_count_once_and_are_reported() -> None:
    bundle = json.loads(fhir_example("hr-positive-recurrent"))
    once = bundle_to_draft(bundle)
    twice = bundle_to_draft({**bundle, "entry": bundle["entry"] * 2})
    assert twice.data == once.data
    duplicates = [u for u in twice.unmapped if "duplicate" in u.reason]
    assert len(duplicates) == len(bundle["entry"])
    assert all("counted once" in u.reason for u in duplicates)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)
CASE_KEYS = st.sampled_from([*BASE_CASE, "labs", "symptoms", "comorbidities", "prior_therapies", "biomarkers"])


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(changes=st.dictionaries(CASE_KEYS, JSON_VALUES, max_size=4), as_yaml=st.booleans())
def test_fuzzed_uploads_never_give_a_server_error(web: TestClient, changes: dict[str, Any], as_yaml: bool) -> None:
    case = {**BASE_CASE, **changes}
    name, content = ("case.yaml", json.dumps(case)) if as_yaml else ("case.json", json.dumps(case))
    response = _upload(web, name, content.encode())
    assert response.status_code in (200, 422), response.text[:300]


RESOURCE_TYPES = st.sampled_from(["Patient", "Condition", "Observation", "MedicationRequest", "Procedure", "Basic"])
RESOURCES = st.fixed_dictionaries(
    {"resourceType": RESOURCE_TYPES, "id": st.from_regex(r"^[a-z]{1,4}$", fullmatch=True)},
    optional={"code": JSON_VALUES, "valueCodeableConcept": JSON_VALUES, "gender": JSON_VALUES, "status": JSON_VALUES},
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(resources=st.lists(RESOURCES, max_size=5), extra=st.dictionaries(st.sampled_from(["type", "id"]), JSON_VALUES))
def test_fuzzed_bundles_never_give_a_server_error(
    client: TestClient, resources: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", **extra, "entry": [{"resource": r} for r in resources]}
    response = client.post("/v1/cases/$import-fhir", json=bundle)
    assert response.status_code in (201, 422), response.text[:300]
