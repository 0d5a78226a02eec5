"""Each derived fact of the contract (case-and-plan.md §1), one table of cases per fact."""

from __future__ import annotations

import pytest

from mbctwin.case.derived import Derived, failed_drugs, her2_category, line, months_before_metastasis
from mbctwin.case.models import Tumor
from tests.conftest import case_with


def _tumor(**kw: object) -> Tumor:
    return Tumor.model_validate({"er": "positive", "pr": "positive", "her2_ihc": "0", **kw})


@pytest.mark.parametrize(
    ("ihc", "ish", "expected"),
    [
        ("3+", "not_done", "positive"),
        ("3+", "not_amplified", "positive"),
        ("2+", "amplified", "positive"),
        ("1+", "amplified", "positive"),
        ("0", "amplified", "positive"),
        ("2+", "not_amplified", "low"),
        ("2+", "not_done", "unknown"),
        ("1+", "not_done", "low"),
        ("ultralow", "not_done", "ultralow"),
        ("0", "not_done", "zero"),
        ("unknown", "not_done", "unknown"),
        ("unknown", "not_amplified", "unknown"),
    ],
)
def test_her2_category(ihc: str, ish: str, expected: str) -> None:
    assert her2_category(_tumor(her2_ihc=ihc, her2_ish=ish)) == expected


@pytest.mark.parametrize(
    ("er", "pr", "ihc", "ish", "expected"),
    [
        ("positive", "positive", "1+", "not_done", "HR+/HER2-"),
        ("negative", "positive", "0", "not_done", "HR+/HER2-"),
        ("positive", "negative", "3+", "not_done", "HR+/HER2+"),
        ("negative", "negative", "2+", "amplified", "HR-/HER2+"),
        ("negative", "negative", "1+", "not_done", "triple-negative"),
        ("negative", "negative", "2+", "not_done", "HR-/HER2 unknown"),
        ("positive", "unknown", "unknown", "not_done", "HR+/HER2 unknown"),
        ("unknown", "unknown", "0", "not_done", "triple-negative"),
    ],
)
def test_subtype(er: str, pr: str, ihc: str, ish: str, expected: str) -> None:
    case = case_with(tumor={"er": er, "er_percent": None, "pr": pr, "her2_ihc": ihc, "her2_ish": ish})
    assert Derived.of(case).subtype == expected


@pytest.mark.parametrize(
    ("percent", "pr", "expected"),
    [(5, "negative", True), (10, "negative", True), (11, "negative", False), (5, "positive", False)],
)
def test_er_low_counts_as_hr_positive(percent: float, pr: str, expected: bool) -> None:
    derived = Derived.of(case_with(tumor={"er_percent": percent, "pr": pr}))
    assert derived.er_low is expected
    assert derived.subtype == "HR+/HER2-"


def _line(drugs: list[str], ended: str, months: float = 10, setting: str = "metastatic") -> dict:
    return {"setting": setting, "drugs": drugs, "ended_because": ended, "months_on_treatment": months}


def test_line_counts_only_progression_in_the_metastatic_setting() -> None:
    history = [
        _line(["anastrozole"], "completed", 60, "adjuvant"),
        _line(["letrozole", "palbociclib"], "progression"),
        _line(["fulvestrant", "abemaciclib"], "toxicity"),
        _line(["fulvestrant", "ribociclib"], "progression"),
        _line(["capecitabine"], "ongoing"),
    ]
    assert line(case_with(prior_therapies=history, presentation="recurrent")) == 3
    assert line(case_with()) == 1


@pytest.mark.parametrize(
    ("history", "dfi", "expected"),
    [
        pytest.param([], None, "sensitive", id="de_novo_untreated"),
        pytest.param(
            [_line(["anastrozole"], "progression", 18, "adjuvant")],
            0,
            "primary_resistance",
            id="relapse_in_first_2y_of_adjuvant",
        ),
        pytest.param(
            [_line(["tamoxifen"], "progression", 30, "adjuvant")],
            0,
            "secondary_resistance",
            id="relapse_on_adjuvant_after_2y",
        ),
        pytest.param(
            [_line(["letrozole"], "completed", 60, "adjuvant")],
            8,
            "secondary_resistance",
            id="relapse_within_12m_of_completion",
        ),
        pytest.param(
            [_line(["letrozole"], "completed", 60, "adjuvant")], 13, "sensitive", id="relapse_after_12m_of_completion"
        ),
        pytest.param(
            [_line(["letrozole", "palbociclib"], "progression", 4)],
            None,
            "primary_resistance",
            id="first_line_progression_within_6m",
        ),
        pytest.param(
            [_line(["letrozole", "palbociclib"], "progression", 14)],
            None,
            "secondary_resistance",
            id="first_line_progression_after_6m",
        ),
        pytest.param([_line(["paclitaxel"], "progression", 4)], None, "sensitive", id="chemotherapy_only"),
    ],
)
def test_endocrine_resistance_follows_abc(history: list, dfi: float | None, expected: str) -> None:
    presentation = "recurrent" if dfi is not None else "de_novo"
    case = case_with(prior_therapies=history, presentation=presentation, disease_free_interval_months=dfi)
    assert Derived.of(case).endocrine_resistance == expected


def test_endocrine_resistance_not_applicable_without_hormone_receptors() -> None:
    case = case_with(tumor={"er": "negative", "er_percent": 0, "pr": "negative"})
    assert Derived.of(case).endocrine_resistance == "not_applicable"


def test_one_non_steroidal_aromatase_inhibitor_failing_fails_both() -> None:
    case = case_with(prior_therapies=[_line(["letrozole", "palbociclib"], "progression")])
    assert {"letrozole", "anastrozole", "palbociclib"} <= set(failed_drugs(case))
    assert "exemestane" not in failed_drugs(case)


def test_ovarian_suppression_does_not_fail_with_its_endocrine_partner() -> None:
    case = case_with(
        menopausal_status="pre", prior_therapies=[_line(["letrozole", "ribociclib", "goserelin"], "progression")]
    )
    assert {"letrozole", "ribociclib"} <= set(failed_drugs(case))
    assert "goserelin" not in failed_drugs(case)


def test_a_new_formulation_of_a_failed_molecule_has_failed_too() -> None:
    case = case_with(prior_therapies=[_line(["nab_paclitaxel"], "progression")])
    assert {"nab_paclitaxel", "paclitaxel"} <= set(failed_drugs(case))
    assert "docetaxel" not in failed_drugs(case)


def test_adjuvant_failure_window_is_12_months_from_each_entry() -> None:
    history = [
        _line(["docetaxel", "cyclophosphamide"], "completed", 4, "adjuvant"),
        _line(["tamoxifen"], "completed", 9, "adjuvant"),
    ]
    case = case_with(prior_therapies=history, presentation="recurrent", disease_free_interval_months=3)
    intervals = [months for _, months in months_before_metastasis(case)]
    assert intervals == [12, 3]
    assert {"docetaxel", "cyclophosphamide", "tamoxifen"} <= set(failed_drugs(case))
    later = case_with(prior_therapies=history, presentation="recurrent", disease_free_interval_months=4)
    assert "docetaxel" not in failed_drugs(later)
    assert "tamoxifen" in failed_drugs(later)


def test_toxicity_switch_does_not_fail_a_drug() -> None:
    case = case_with(prior_therapies=[_line(["letrozole", "abemaciclib"], "toxicity")])
    assert failed_drugs(case) == {}


@pytest.mark.parametrize(("counts", "expected"), [([2, 3], True), ([5], True), ([3, 3], False), ([10], False)])
def test_oligometastatic_is_five_lesions_or_fewer(counts: list[int], expected: bool) -> None:
    sites = ["bone", "lung"]
    metastases = [{"site": sites[i], "count": c} for i, c in enumerate(counts)]
    assert Derived.of(case_with(metastases=metastases)).oligometastatic is expected
