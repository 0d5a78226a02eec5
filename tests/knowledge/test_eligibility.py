"""Structured trial populations: the schema refuses names outside the vocabulary, and a case is
judged eligible from the fields alone."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from mbctwin.errors import KnowledgeError
from mbctwin.knowledge.eligibility import admits, misfits
from mbctwin.knowledge.loader import KnowledgeBase, load_kb
from mbctwin.knowledge.schema import Effect, Eligibility
from tests.conftest import case_with

PACKAGED = Path(str(resources.files("mbctwin.knowledge").joinpath("data")))
HER2_POSITIVE = {"er": "negative", "er_percent": 0, "pr": "negative", "her2_ihc": "3+"}
TNBC = {"er": "negative", "er_percent": 0, "pr": "negative", "her2_ihc": "0"}


def _eligibility(kb: KnowledgeBase, source: str, index: int = 0) -> Eligibility:
    return kb.sources[source].effects[index].eligibility


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prior_required": ["cdk46_inhibitor"]}, "unknown class or group"),
        ({"prior_metastatic_lines": {"chemo": {"max": 1}}}, "unknown class or group"),
        ({"biomarkers": ["pik3ca_mutation"]}, "unknown biomarker"),
        ({"biomarkers": ["pd_l1_cps"]}, "unknown biomarker"),
        ({"subtypes": ["luminal A"]}, "subtypes"),
        ({"subtypes": ["HR+/HER2-"], "her2": ["positive"]}, "contradicts"),
        ({"prior_required": ["taxane"], "prior_excluded": ["taxane"]}, "both required and excluded"),
        ({"prior_metastatic_lines": {"chemotherapy": {"min": 3, "max": 1}}}, "below min"),
        ({"brain_metastases": "active"}, "brain_metastases"),
        ({"sites_required": ["kidney"]}, "unknown site"),
    ],
)
def test_schema_refuses_names_outside_the_vocabulary(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Eligibility(**fields)


def test_an_effect_without_eligibility_is_refused_by_the_loader(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(PACKAGED, data)
    path = data / "sources" / "hr_pos.yaml"
    records = yaml.safe_load(path.read_text())
    del records[0]["effects"][0]["eligibility"]
    path.write_text(yaml.safe_dump(records, sort_keys=False))
    with pytest.raises(KnowledgeError, match="eligibility"):
        load_kb(data)


def test_every_breast_trial_effect_states_its_subtypes_or_a_biomarker(kb: KnowledgeBase) -> None:
    """A PFS/OS result of a line of metastatic therapy always says whom it is about."""
    for source in kb.sources.values():
        for effect in source.effects:
            e = effect.eligibility
            if effect.endpoint in ("pfs", "os") and effect.line > 0 and effect.experimental.drugs:
                assert e.subtypes or e.biomarkers, f"{source.id}: {effect.population}"


def test_first_line_hr_positive_trial_takes_a_postmenopausal_patient_only() -> None:
    monaleesa2 = load_kb().sources["monaleesa2"].effects[0].eligibility
    assert admits(monaleesa2, case_with())
    assert misfits(monaleesa2, case_with(age=40, menopausal_status="pre")) == ["menopausal status pre not in ['post']"]
    assert misfits(monaleesa2, case_with(tumor=HER2_POSITIVE))[0].startswith("subtype HR-/HER2+")


def test_after_cdk46_trials_need_the_exposure_and_first_line_trials_refuse_it(kb: KnowledgeBase) -> None:
    after_cdk = case_with(
        prior_therapies=[
            {"setting": "metastatic", "drugs": ["palbociclib", "letrozole"], "ended_because": "progression"}
        ]
    )
    assert admits(_eligibility(kb, "postmonarch"), after_cdk)
    assert misfits(_eligibility(kb, "postmonarch"), case_with()) == ["no prior cdk4_6_inhibitor, aromatase_inhibitor"]
    assert misfits(_eligibility(kb, "monarch2"), after_cdk) == ["prior cdk4_6_inhibitor excluded"]


def test_chemotherapy_line_counts_and_biomarker_thresholds(kb: KnowledgeBase) -> None:
    three_chemo = case_with(
        tumor=TNBC,
        prior_therapies=[
            {"setting": "metastatic", "drugs": [drug], "ended_because": "progression"}
            for drug in ("paclitaxel", "capecitabine", "eribulin")
        ],
    )
    olympiad = _eligibility(kb, "olympiad")
    assert "3 prior metastatic chemotherapy lines outside 0-2" in misfits(olympiad, three_chemo)
    keynote = _eligibility(kb, "keynote355")
    assert misfits(keynote, case_with(tumor=TNBC, biomarkers={"pd_l1_cps": 5})) == ["PD-L1 CPS 5 below 10"]
    assert admits(keynote, case_with(tumor=TNBC, biomarkers={"pd_l1_cps": 12}))
    assert admits(keynote, case_with(tumor=TNBC)), "an untested biomarker is not held against the patient"


def test_brain_metastasis_cohorts_speak_only_for_patients_with_them(kb: KnowledgeBase) -> None:
    brain = [{"site": "brain", "count": 2}, {"site": "bone", "count": 1}]
    overall, brain_subgroup = _eligibility(kb, "her2climb", 0), _eligibility(kb, "her2climb", 1)
    pretreated = [
        {"setting": "metastatic", "drugs": drugs, "ended_because": "progression"}
        for drugs in (["trastuzumab", "pertuzumab", "docetaxel"], ["trastuzumab_emtansine"])
    ]
    assert admits(overall, case_with(tumor=HER2_POSITIVE, metastases=brain, prior_therapies=pretreated))
    assert admits(overall, case_with(tumor=HER2_POSITIVE, prior_therapies=pretreated))
    assert misfits(brain_subgroup, case_with(tumor=HER2_POSITIVE)) == [
        "no prior anti_her2_antibody, anti_her2_adc",
        "no brain metastases",
    ]
    assert misfits(_eligibility(kb, "ascent"), case_with(tumor=TNBC, metastases=brain))[-1] == (
        "brain metastases excluded"
    )


def test_effect_label_is_free_text_and_eligibility_is_required() -> None:
    fields = Effect.model_fields
    assert fields["population"].annotation is str
    assert fields["eligibility"].is_required()


def test_skipping_unrestricted_fields_finds_the_same_misfits(kb: KnowledgeBase) -> None:
    """A patient is judged only on the fields an effect restricts; every check on the others would
    have found nothing, for every effect of the packaged knowledge base and varied patients."""
    from mbctwin.knowledge.eligibility import _CHECKS, Patient

    patients = [
        Patient.of(case_with()),
        Patient.of(case_with(tumor=HER2_POSITIVE)),
        Patient.of(case_with(tumor=TNBC, biomarkers={"pd_l1_cps": 3, "gbrca": "brca1"})),
        Patient.of(case_with(sex="male", menopausal_status=None, metastases=[{"site": "brain", "symptomatic": True}])),
        Patient.of(
            case_with(
                biomarkers={"pik3ca": "mutated", "esr1": "mutated"},
                prior_therapies=[
                    {"setting": "metastatic", "drugs": ["letrozole", "palbociclib"], "ended_because": "progression"},
                    {"setting": "metastatic", "drugs": ["capecitabine"], "ended_because": "progression"},
                ],
            )
        ),
    ]
    effects = [e for s in kb.sources.values() for e in s.effects]
    for patient in patients:
        for effect in effects:
            every = [reason for check in _CHECKS if (reason := check(effect.eligibility, patient))]
            assert patient.misfits(effect.eligibility) == every
