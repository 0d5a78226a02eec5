"""The patient text (contract §2): readable (Flesch-Kincaid grade <= 8, measured by textstat over every
bundled and test vignette), drug names as words, no unexplained abbreviations, right for the patient's sex."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import textstat
import yaml

from mbctwin.case.io import example_case, example_names, parse_case
from mbctwin.case.models import Case
from mbctwin.engine.plan import build_plan
from tests.conftest import DATA, SHARED, plan_for, prior_line

MAX_GRADE = 8.0
# Abbreviations the text may use because it says what they are where they appear.
EXPLAINED = {"HER2": "a protein on some cancer cells", "BRCA": "inherited BRCA gene change"}


def _vignette_cases() -> list[tuple[str, Case]]:
    found = [(name, example_case(name)) for name in example_names()]
    folders = [DATA / "vignettes", SHARED / "vignettes"]
    for path in sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*.yaml")):
        vignette = yaml.safe_load(path.read_text())
        if "error_fields" not in vignette.get("expect", {}):
            found.append((path.stem, parse_case(vignette["case"])))
    return found


CASES = _vignette_cases()


@pytest.mark.parametrize(("name", "case"), CASES, ids=[n for n, _ in CASES])
def test_explanations_of_every_vignette_are_plain(name: str, case: Case) -> None:
    text = build_plan(case).explanation
    assert textstat.flesch_kincaid_grade(text) <= MAX_GRADE, text
    assert "_" not in text
    for word in set(re.findall(r"\b[A-Z][A-Z0-9/]{1,}\b", text)):
        assert word in EXPLAINED, f"unexplained {word!r}: {text}"
        assert EXPLAINED[word] in text, f"{word!r} not explained: {text}"
    if case.sex == "male":
        assert not re.search(r"ovar|menopaus|pregnan|breastfeed", text, re.I), text


def test_the_grade_measure_tells_plain_from_dense_text() -> None:
    """The threshold can fail: dense clinical prose scores far above it."""
    dense = (
        "Postmenopausal patients with hormone-receptor-positive, HER2-negative metastatic disease progressing "
        "after aromatase-inhibitor-based adjuvant endocrine therapy derive progression-free survival benefit "
        "from fulvestrant combined with cyclin-dependent kinase inhibition irrespective of visceral involvement."
    )
    assert textstat.flesch_kincaid_grade(dense) > MAX_GRADE


def test_a_man_is_told_about_hormone_suppression_without_ovaries() -> None:
    fulvestrant = prior_line(["fulvestrant"], "progression", months=14)
    plan = plan_for(sex="male", menopausal_status=None, prior_therapies=[fulvestrant])
    assert "goserelin" in plan.systemic[0].drugs
    assert "sex hormones" in plan.explanation
    assert "ovar" not in plan.explanation.lower()


def test_a_premenopausal_woman_is_told_about_her_ovaries() -> None:
    plan = plan_for(menopausal_status="pre", age=42)
    assert "goserelin" in plan.systemic[0].drugs
    assert "ovaries" in plan.explanation


def test_shared_folder_is_used_when_present() -> None:
    assert any(name.startswith("p0") for name, _ in CASES) == (SHARED / "vignettes").is_dir()
    assert Path(DATA / "vignettes").is_dir()
