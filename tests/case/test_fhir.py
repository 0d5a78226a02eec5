"""FHIR R4 / mCODE import: example round trips, reported (never guessed) gaps, and properties of the mapper."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mbctwin.case.fhir import ICD10CM, LOINC, SNOMED, bundle_to_draft, import_bundle
from mbctwin.cli import app
from mbctwin.engine.plan import build_plan
from mbctwin.errors import CaseError

FOLDER = resources.files("mbctwin.case").joinpath("examples", "fhir")
EXAMPLES = sorted(p.name.removesuffix(".json") for p in FOLDER.iterdir() if p.name.endswith(".json"))


def _example(name: str) -> dict[str, Any]:
    return json.loads(FOLDER.joinpath(f"{name}.json").read_text(encoding="utf-8"))


EXPECTED = {
    "hr-positive-recurrent": ("HR+/HER2-", "low", {"bone", "liver"}, "recurrent"),
    "her2-positive-de-novo-brain": ("HR-/HER2+", "positive", {"brain", "lung"}, "de_novo"),
    "triple-negative-gbrca1": ("triple-negative", "zero", {"lung"}, "recurrent"),
}


def test_three_example_bundles_ship() -> None:
    assert set(EXAMPLES) == set(EXPECTED)


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in EXPECTED])
def test_bundle_to_case_to_plan(name: str) -> None:
    imported = import_bundle(_example(name))
    plan = build_plan(imported.case)
    subtype, her2, sites, presentation = EXPECTED[name]
    assert (plan.subtype, plan.her2_category, imported.case.presentation) == (subtype, her2, presentation)
    assert {m.site for m in imported.case.metastases} == sites
    assert plan.systemic
    assert all(option.evidence for option in plan.systemic)


def test_therapy_lines_settings_and_intervals_come_from_dates() -> None:
    case = import_bundle(_example("triple-negative-gbrca1")).case
    assert [(t.setting, t.drugs, t.ended_because) for t in case.prior_therapies] == [
        ("adjuvant", ["cyclophosphamide", "doxorubicin"], "completed"),
        ("adjuvant", ["paclitaxel"], "completed"),
        ("metastatic", ["sacituzumab_govitecan"], "ongoing"),
    ]
    assert case.biomarkers.gbrca == "brca1"
    assert case.disease_free_interval_months == pytest.approx(17.9)


def test_what_cannot_be_mapped_is_reported() -> None:
    unmapped = import_bundle(_example("triple-negative-gbrca1")).unmapped
    assert {u.resource for u in unmapped} == {"Condition/tn-met-node", "Observation/tn-pdl1"}


def test_lesion_counts_are_never_invented() -> None:
    bundle = _example("hr-positive-recurrent")
    liver = next(e for e in bundle["entry"] if e["resource"]["id"] == "hr1-met-liver")
    second = {"resource": {**liver["resource"], "id": "second-liver-condition"}}
    case = import_bundle({**bundle, "entry": [*bundle["entry"], second]}).case
    assert [m.count for m in case.metastases] == [None] * len(case.metastases)
    assert sorted(m.site for m in case.metastases) == ["bone", "liver"]  # a second liver condition adds no lesion
    assert build_plan(case).systemic


def test_the_import_summary_lists_every_inferred_value() -> None:
    imported = import_bundle(_example("triple-negative-gbrca1"))
    inferred = {i.field: i for i in imported.inferred}
    assert {"age", "presentation", "months_from_primary_diagnosis", "disease_free_interval_months"} <= set(inferred)
    assert {f"prior_therapies.{n}.setting" for n in range(3)} <= set(inferred)
    assert inferred["presentation"].value == imported.case.presentation
    assert "days apart" in inferred["presentation"].how
    assert inferred["disease_free_interval_months"].value == imported.case.disease_free_interval_months


def _without(bundle: dict[str, Any], resource_id: str) -> dict[str, Any]:
    return {**bundle, "entry": [e for e in bundle["entry"] if e["resource"]["id"] != resource_id]}


def test_missing_facts_are_errors_naming_the_field_not_guesses() -> None:
    bundle = _without(_without(_example("hr-positive-recurrent"), "hr1-menopause"), "hr1-ecog")
    with pytest.raises(CaseError) as error:
        import_bundle(bundle)
    fields = {p.field for p in error.value.problems}
    assert "ecog" in fields
    assert "unmapped.Procedure/hr1-surgery" in fields


def test_bare_her2_negative_is_not_read_as_her2_zero() -> None:
    bundle = _example("hr-positive-recurrent")
    ihc = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "hr1-her2-ihc")
    ihc["valueCodeableConcept"] = {"coding": [{"system": LOINC, "code": "LA6577-6"}]}
    draft = bundle_to_draft(bundle)
    assert "her2_ihc" not in draft.data["tumor"]
    assert any(u.resource == "Observation/hr1-her2-ihc" for u in draft.unmapped)


NOT_A_DATE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [{"resource": {"resourceType": "Patient", "birthDate": "not-a-date"}}],
}


UNKNOWN_TYPE = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Foo"}}]}


@pytest.mark.parametrize("bad", [[], {"resourceType": "Patient"}, NOT_A_DATE, UNKNOWN_TYPE])
def test_not_a_bundle_is_a_case_error(bad: Any) -> None:
    with pytest.raises(CaseError) as error:
        import_bundle(bad)
    assert all(p.field.startswith("bundle") for p in error.value.problems)


def test_cli_prints_the_case_and_lists_gaps_on_stderr(tmp_path: Any) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(_example("triple-negative-gbrca1")))
    result = CliRunner().invoke(app, ["import", "fhir", str(path), "--format", "yaml"])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["biomarkers"] == {"gbrca": "brca1"}
    assert "tn-met-node" in result.stderr
    json_result = CliRunner().invoke(app, ["import", "fhir", str(path), "--format", "json"])
    assert json.loads(json_result.stdout)["tumor"]["er"] == "negative"


def test_cli_invalid_bundle_exits_2_with_nothing_on_stdout(tmp_path: Any) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}))
    result = CliRunner().invoke(app, ["import", "fhir", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "age" in result.stderr


# --- properties -----------------------------------------------------------------------------------------------

SITES = {
    "brain": (ICD10CM, "C79.31"),
    "bone": (ICD10CM, "C79.51"),
    "liver": (ICD10CM, "C78.7"),
    "lung": (ICD10CM, "C78.00"),
}
POLARITY = {"positive": "LA6576-8", "negative": "LA6577-6"}


def _coded(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _obs(rid: str, code: str, **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": _coded(LOINC, code),
        "subject": {"reference": "Patient/p"},
        **value,
    }


def _condition(rid: str, code: tuple[str, str], onset: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": rid,
        "code": _coded(*code),
        "subject": {"reference": "Patient/p"},
        "onsetDateTime": onset,
    }


@st.composite
def patients(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Bundle built from known facts, and those facts."""
    facts = {
        "age": draw(st.integers(18, 100)),
        "er": draw(st.sampled_from(list(POLARITY))),
        "pr": draw(st.sampled_from(list(POLARITY))),
        "her2_ihc": draw(st.sampled_from(["0", "1+", "2+", "3+"])),
        "ecog": draw(st.integers(0, 4)),
        "sites": draw(st.sets(st.sampled_from(list(SITES)), min_size=1)),
        "gap_days": draw(st.integers(0, 4000)),
    }
    as_of = date(2026, 6, 1)
    born = date(as_of.year - facts["age"], 1, 1)
    met = date.fromordinal(as_of.toordinal() - 10)
    primary = date.fromordinal(met.toordinal() - facts["gap_days"])
    resources_ = [
        {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": born.isoformat()},
        _condition("c0", (SNOMED, "254837009"), primary.isoformat()),
        *[_condition(f"m{i}", SITES[s], met.isoformat()) for i, s in enumerate(sorted(facts["sites"]))],
        _obs("er", "85337-4", valueCodeableConcept=_coded(LOINC, POLARITY[facts["er"]])),
        _obs("pr", "85339-0", valueCodeableConcept=_coded(LOINC, POLARITY[facts["pr"]])),
        _obs("her2", "85319-2", valueString=facts["her2_ihc"]),
        _obs("ecog", "89247-1", valueInteger=facts["ecog"]),
        {**_obs("meno", "8339-4"), "code": {"text": "menopause"}, "valueCodeableConcept": _coded(SNOMED, "76498008")},
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": f"{as_of.isoformat()}T00:00:00Z",
        "entry": [{"resource": r} for r in draw(st.permutations(resources_))],
    }
    return bundle, facts


@settings(max_examples=40, deadline=None)
@given(patients())
def test_mapped_facts_survive_the_round_trip(drawn: tuple[dict[str, Any], dict[str, Any]]) -> None:
    bundle, facts = drawn
    case = import_bundle(bundle).case
    assert (case.age, case.tumor.er, case.tumor.pr, case.tumor.her2_ihc, case.ecog) == (
        facts["age"],
        facts["er"],
        facts["pr"],
        facts["her2_ihc"],
        facts["ecog"],
    )
    assert {m.site for m in case.metastases} == facts["sites"]
    assert case.presentation == ("de_novo" if facts["gap_days"] <= 92 else "recurrent")


CODES = st.fixed_dictionaries(
    {
        "system": st.sampled_from([LOINC, SNOMED, ICD10CM, "urn:x"]),
        "code": st.text("0123456789.-CLA", min_size=1, max_size=9),
    }
)
RESOURCES = st.fixed_dictionaries(
    {
        "resourceType": st.sampled_from(["Observation", "Condition", "Procedure", "MedicationStatement"]),
        "id": st.from_regex(r"^[a-z]{1,8}$", fullmatch=True),
        "status": st.sampled_from(["final", "completed", "active", "stopped"]),
        "subject": st.just({"reference": "Patient/p"}),
        "code": st.fixed_dictionaries({"coding": st.lists(CODES, min_size=1, max_size=2)}),
    }
)


VALID_STATUS = {"Observation": "final", "Procedure": "completed"}


@settings(max_examples=60, deadline=None)
@given(st.lists(RESOURCES, max_size=6))
def test_arbitrary_resources_never_crash_and_unknowns_are_reported(items: list[dict[str, Any]]) -> None:
    for item in items:  # only what FHIR R4 allows, so the mapper (not the validator) is under test
        item["status"] = VALID_STATUS.get(item["resourceType"], item["status"])
        if item["resourceType"] == "Condition":
            del item["status"]
        if item["resourceType"] == "MedicationStatement":
            item.pop("code")
            item["medicationCodeableConcept"] = {"text": "unknownumab"}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in items]}
    reported = {u.resource for u in bundle_to_draft(bundle).unmapped}
    for item in items:
        if item["resourceType"] in ("Procedure", "MedicationStatement"):
            assert f"{item['resourceType']}/{item['id']}" in reported
