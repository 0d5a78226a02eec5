"""The case contract: what is accepted, what is refused, and that refusals name the field."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from mbctwin.case.io import example_case, example_names, parse_case, read_case
from mbctwin.errors import CaseError
from tests.conftest import BASE_CASE, DATA


def _fields(error: CaseError) -> set[str]:
    return {p.field for p in error.problems}


def test_minimal_case_gets_contract_defaults() -> None:
    data = copy.deepcopy(BASE_CASE)
    del data["id"]
    case = parse_case(data)
    assert case.tumor.her2_ish == "not_done"
    assert case.visceral_crisis is False
    assert case.prior_therapies == []
    assert case.comorbidities == []
    assert case.id is not None
    assert case.id.startswith("case-")


def test_generated_id_is_a_stable_hash_of_the_content() -> None:
    data = copy.deepcopy(BASE_CASE)
    del data["id"]
    assert parse_case(data).id == parse_case(copy.deepcopy(data)).id
    data["age"] = 61
    assert parse_case(data).id != parse_case({**data, "age": 60}).id


@pytest.mark.parametrize("field", ["age", "sex", "ecog", "tumor", "presentation", "metastases"])
def test_required_fields_are_named_when_missing(field: str) -> None:
    data = copy.deepcopy(BASE_CASE)
    del data[field]
    with pytest.raises(CaseError) as caught:
        parse_case(data)
    assert field in _fields(caught.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"age": 17}, "age", id="age_below_18"),
        pytest.param({"ecog": 5}, "ecog", id="ecog_above_4"),
        pytest.param({"tumor": {**BASE_CASE["tumor"], "her2_ihc": "4+"}}, "tumor.her2_ihc", id="her2_ihc_enum"),
        pytest.param({"tumor": {**BASE_CASE["tumor"], "colour": "red"}}, "tumor.colour", id="unknown_nested"),
        pytest.param({"favourite_drug": "x"}, "favourite_drug", id="unknown_top_level"),
        pytest.param({"metastases": []}, "metastases", id="no_metastasis"),
        pytest.param({"metastases": [{"site": "knee", "count": 1}]}, "metastases.0.site", id="unknown_site"),
        pytest.param({"metastases": [{"site": "bone", "count": 0}]}, "metastases.0.count", id="zero_lesions"),
        pytest.param({"symptoms": {"pain_score": 11}}, "symptoms.pain_score", id="pain_above_10"),
        pytest.param({"labs": {"lvef_percent": -3}}, "labs.lvef_percent", id="negative_lvef"),
        pytest.param({"biomarkers": {"pik3ca": "positive"}}, "biomarkers.pik3ca", id="biomarker_enum"),
        pytest.param({"comorbidities": ["Heart Failure"]}, "comorbidities.0", id="comorbidity_code"),
    ],
)
def test_invalid_values_name_their_field(changes: dict, field: str) -> None:
    with pytest.raises(CaseError) as caught:
        parse_case({**copy.deepcopy(BASE_CASE), **changes})
    assert field in _fields(caught.value)


def test_women_need_menopausal_status_and_men_do_not() -> None:
    data = {k: v for k, v in copy.deepcopy(BASE_CASE).items() if k != "menopausal_status"}
    with pytest.raises(CaseError, match="menopausal_status"):
        parse_case(data)
    assert parse_case({**data, "sex": "male"}).menopausal_status is None


def test_unknown_drug_in_history_is_refused_with_its_place() -> None:
    therapy = {"setting": "metastatic", "drugs": ["letrozole", "Herceptin"], "ended_because": "progression"}
    with pytest.raises(CaseError) as caught:
        parse_case({**copy.deepcopy(BASE_CASE), "prior_therapies": [therapy]})
    assert "prior_therapies.0.drugs" in _fields(caught.value)
    assert "Herceptin" in str(caught.value)


def test_er_percent_must_agree_with_er_status() -> None:
    tumor = {**BASE_CASE["tumor"], "er": "negative", "er_percent": 40}
    with pytest.raises(CaseError, match="contradicts"):
        parse_case({**copy.deepcopy(BASE_CASE), "tumor": tumor})


def test_unquoted_yaml_zero_is_her2_zero() -> None:
    data = yaml.safe_load("her2_ihc: 0")
    case = parse_case({**copy.deepcopy(BASE_CASE), "tumor": {**BASE_CASE["tumor"], **data}})
    assert case.tumor.her2_ihc == "0"


def test_only_the_last_line_can_be_ongoing() -> None:
    lines = [
        {"setting": "metastatic", "drugs": ["letrozole"], "ended_because": "ongoing"},
        {"setting": "metastatic", "drugs": ["fulvestrant"], "ended_because": "progression"},
    ]
    with pytest.raises(CaseError, match="ongoing"):
        parse_case({**copy.deepcopy(BASE_CASE), "prior_therapies": lines})


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(CaseError) as caught:
        parse_case({**copy.deepcopy(BASE_CASE), "age": 5, "ecog": 9})
    assert {"age", "ecog"} <= _fields(caught.value)


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml"])
def test_case_files_in_json_and_yaml(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"case{suffix}"
    path.write_text(json.dumps(BASE_CASE) if suffix == ".json" else yaml.safe_dump(BASE_CASE))
    assert read_case(path).age == BASE_CASE["age"]


def test_unreadable_and_malformed_files_are_case_errors(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="cannot read"):
        read_case(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CaseError, match="not valid json"):
        read_case(broken)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text")
    with pytest.raises(CaseError, match="mapping"):
        read_case(scalar)


BAD = sorted((DATA / "bad").glob("*.yaml"))


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_case_files_name_the_expected_field(path: Path) -> None:
    expected = yaml.safe_load(path.read_text())["case"]
    field = path.read_text().splitlines()[0].removeprefix("# field: ").strip()
    with pytest.raises(CaseError) as caught:
        parse_case(expected)
    assert field in _fields(caught.value)


def test_bundled_examples_are_valid() -> None:
    names = example_names()
    assert len(names) >= 3
    for name in names:
        assert example_case(name).id
