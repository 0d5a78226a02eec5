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
    with pytest.raises(CaseError, match=r"(?i)not valid json"):
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


def _problems(changes: dict) -> dict[str, str]:
    with pytest.raises(CaseError) as caught:
        parse_case({**copy.deepcopy(BASE_CASE), **changes})
    return {p.field: p.message for p in caught.value.problems}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        pytest.param(
            {"prior_therapies": [{"setting": "adjuvant", "drugs": ["letrozole"], "ended_because": "completed"}]},
            {"presentation", "prior_therapies.0.setting"},
            id="de_novo_with_adjuvant",
        ),
        pytest.param(
            {"disease_free_interval_months": 30}, {"presentation", "disease_free_interval_months"}, id="de_novo_dfi"
        ),
        pytest.param({"sex": "male", "pregnancy": "breastfeeding"}, {"sex", "pregnancy"}, id="man_breastfeeding"),
        pytest.param({"gestational_weeks": 12}, {"gestational_weeks", "pregnancy"}, id="weeks_not_pregnant"),
        pytest.param({"pregnancy": "pregnant"}, {"pregnancy", "gestational_weeks"}, id="pregnant_without_weeks"),
        pytest.param(
            {"tumor": {**BASE_CASE["tumor"], "er": "negative", "er_percent": 5}},
            {"tumor.er", "tumor.er_percent"},
            id="er_negative_with_percent",
        ),
        pytest.param(
            {"tumor": {**BASE_CASE["tumor"], "er": "positive", "er_percent": 0}},
            {"tumor.er", "tumor.er_percent"},
            id="er_positive_with_zero",
        ),
    ],
)
def test_contradictions_name_every_field_involved(changes: dict, fields: set[str]) -> None:
    problems = _problems(changes)
    assert fields <= set(problems)
    for field in fields:
        assert all(other in problems[field] for other in fields - {field})


def test_all_contradictions_are_reported_at_once() -> None:
    problems = _problems({"sex": "male", "pregnancy": "pregnant", "disease_free_interval_months": 3})
    assert {"sex", "pregnancy", "gestational_weeks", "presentation", "disease_free_interval_months"} <= set(problems)


def test_pregnancy_defaults_to_none_and_takes_weeks_when_pregnant() -> None:
    assert parse_case(copy.deepcopy(BASE_CASE)).pregnancy == "none"
    case = parse_case(
        {**copy.deepcopy(BASE_CASE), "menopausal_status": "pre", "pregnancy": "pregnant", "gestational_weeks": 20}
    )
    assert (case.pregnancy, case.gestational_weeks) == ("pregnant", 20)
    assert "gestational_weeks" in _problems({"pregnancy": "pregnant", "gestational_weeks": 43})


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"ecog": True}, "ecog", id="bool_for_int"),
        pytest.param({"age": "60"}, "age", id="numeric_string_for_int"),
        pytest.param({"visceral_crisis": 1}, "visceral_crisis", id="number_for_bool"),
        pytest.param({"visceral_crisis": "true"}, "visceral_crisis", id="string_for_bool"),
        pytest.param({"labs": {"lvef_percent": False}}, "labs.lvef_percent", id="bool_for_float"),
        pytest.param({"preferences": {"declines_chemotherapy": "yes"}}, "preferences.declines_chemotherapy", id="pref"),
        pytest.param({"id": ""}, "id", id="empty_id"),
        pytest.param({"id": "x" * 129}, "id", id="long_id"),
        pytest.param({"id": "case\u202eevil"}, "id", id="bidi_id"),
        pytest.param({"id": "case\x07bell"}, "id", id="control_id"),
        pytest.param({"id": "two\nlines"}, "id", id="newline_id"),
    ],
)
def test_strict_types_and_id_limits(changes: dict, field: str) -> None:
    assert field in _problems(changes)


def test_ids_of_any_printable_script_are_accepted() -> None:
    for case_id in ("x" * 128, "Fall-Müller 2024/07 #3", "症例-01"):
        assert parse_case({**copy.deepcopy(BASE_CASE), "id": case_id}).id == case_id


def test_integers_are_accepted_where_the_contract_takes_a_decimal() -> None:
    case = parse_case({**copy.deepcopy(BASE_CASE), "labs": {"bilirubin_x_uln": 1}})
    assert case.labs.bilirubin_x_uln == 1.0


def test_lesion_count_absent_is_unknown_and_never_oligometastatic() -> None:
    from mbctwin.case.derived import oligometastatic, total_lesions

    case = parse_case({**copy.deepcopy(BASE_CASE), "metastases": [{"site": "bone"}, {"site": "liver", "count": 1}]})
    assert case.metastases[0].count is None
    assert total_lesions(case) is None
    assert not oligometastatic(case)
    counted = parse_case({**copy.deepcopy(BASE_CASE), "metastases": [{"site": "bone", "count": 2}]})
    assert (total_lesions(counted), oligometastatic(counted)) == (2, True)
