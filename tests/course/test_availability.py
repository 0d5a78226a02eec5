"""The calendar of in-silico trials: drug approval years, the engine limited to them, and trial dates."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from mbctwin.case.io import example_case
from mbctwin.course.availability import Availability, packaged_availability
from mbctwin.course.cohort import from_case
from mbctwin.course.model import CourseModel
from mbctwin.course.policy import EnginePolicy
from mbctwin.course.result import regimen_drugs
from mbctwin.course.trial import PUBLICATION_LAG_YEARS, TrialSpec, calendar_start
from mbctwin.errors import AvailabilityError, TrialSpecError
from mbctwin.knowledge.loader import KnowledgeBase
from tests.course.test_trial import TRIALS


def test_approval_years_depend_on_the_indication() -> None:
    available = packaged_availability()
    tdxd = ("trastuzumab_deruxtecan",)
    assert available.in_practice(tdxd, "HR-/HER2+", "positive", 2020) is True
    assert available.in_practice(tdxd, "HR+/HER2-", "low", 2021) is False  # HER2-low: 2022
    assert available.in_practice(tdxd, "HR+/HER2-", "low", 2022) is True
    assert available.in_practice(tdxd, "triple-negative", "zero", 2030) is None  # no approval: fall back
    assert available.in_practice(("letrozole", "ribociclib"), "HR+/HER2-", "zero", 2016) is False
    assert available.in_practice(("letrozole", "ribociclib"), "HR+/HER2-", "zero", 2017) is True
    assert available.in_practice(("letrozole", "leuprorelin"), "HR+/HER2-", "zero", 2017) is None
    assert [
        available.in_practice(("bevacizumab", "paclitaxel"), "HR+/HER2-", "zero", y) for y in (2007, 2011, 2012)
    ] == [
        False,
        True,
        False,
    ]  # approved 2008, withdrawn 2011


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("version: 1\ndrugs: {letrozol: [{year: 1997, source: x}]}\n", "availability.drugs"),
        ("version: 1\ndrugs: {letrozole: [{year: 97, source: x}]}\n", "availability"),
        ("version: 1\ndrugs: [letrozole]\n", "availability"),
        ("version: [\n", "availability"),
    ],
)
def test_a_bad_availability_file_names_its_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "availability.yaml"
    path.write_text(text)
    with pytest.raises(AvailabilityError) as caught:
        Availability.from_file(path)
    assert caught.value.problems[0].field == field


def _lines_by_calendar(kb: KnowledgeBase, start: float, policy: EnginePolicy) -> list[tuple[str, float]]:
    cohort = from_case(example_case("hr-positive-first-line"), 600)
    cohort = replace(cohort, calendar=np.full(cohort.size, start))
    result = CourseModel(kb=kb, policy=policy).simulate(cohort, years=10, seed=3)
    lines = result.lines
    return list(zip(lines["regimen"], start + lines["start_months"].to_numpy() / 12.0, strict=True))


def test_the_engine_gives_a_regimen_only_once_it_is_approved(kb: KnowledgeBase) -> None:
    """Patients starting first-line therapy in 2013 get no CDK4/6 inhibitor before 2015 (palbociclib),
    no ribociclib before 2017, and later lines catch up as drugs are approved."""
    policy = EnginePolicy(kb, availability=packaged_availability())
    given = _lines_by_calendar(kb, 2013.0, policy)
    firsts: dict[str, float] = {}
    for regimen, when in given:
        for drug in regimen_drugs(regimen):
            firsts[drug] = min(firsts.get(drug, 9999.0), when)
    assert firsts["palbociclib"] >= 2015
    assert firsts.get("ribociclib", 9999.0) >= 2017
    assert firsts.get("elacestrant", 9999.0) >= 2023
    first_line = {regimen for regimen, when in given if when == 2013.0}
    assert not any("ciclib" in regimen for regimen in first_line)
    today = {regimen for regimen, when in _lines_by_calendar(kb, 2024.0, policy) if when == 2024.0}
    assert any("ciclib" in regimen for regimen in today)  # the same patient in 2024: CDK4/6 first


def test_investigational_drugs_reach_controls_once_approved(kb: KnowledgeBase) -> None:
    blocked = frozenset({"palbociclib", "ribociclib", "abemaciclib"})
    crossover = EnginePolicy(kb, unavailable=blocked, availability=packaged_availability())
    never = replace(crossover, crossover=False)
    with_crossover = {r for r, _ in _lines_by_calendar(kb, 2014.0, crossover)}
    without = {r for r, _ in _lines_by_calendar(kb, 2014.0, never)}
    assert any("ciclib" in r for r in with_crossover)
    assert not any("ciclib" in r for r in without)


def test_trials_are_dated_by_start_year_or_their_source_and_never_by_name(kb: KnowledgeBase) -> None:
    keynote = TrialSpec.from_file(TRIALS / "keynote355.yaml")
    assert keynote.report_source(kb).id == "keynote355"
    first = kb.sources["keynote355"].first_published
    assert first is not None
    assert first < kb.sources["keynote355"].year  # the knowledge base cites the 2022 OS paper
    assert calendar_start(keynote, kb) == pytest.approx(first - PUBLICATION_LAG_YEARS - keynote.accrual_months / 12)
    renamed = keynote.model_copy(update={"name": "KEYNOTE-3550"})
    assert calendar_start(renamed, kb) == calendar_start(keynote, kb)  # the name plays no part
    unsourced = keynote.model_copy(update={"source_id": None})
    assert calendar_start(unsourced, kb) is None  # today's options
    assert calendar_start(unsourced.model_copy(update={"start_year": 2016}), kb) == 2016.0
    with pytest.raises(TrialSpecError, match="source_id"):
        calendar_start(keynote.model_copy(update={"source_id": "keynote_3550"}), kb)


def test_a_first_paper_after_the_cited_one_is_refused(kb: KnowledgeBase) -> None:
    from mbctwin.knowledge.schema import Source

    with pytest.raises(ValueError, match="first_published"):
        Source(id="x", kind="trial", name="X", citation="c", year=2016, first_published=2018)


def test_a_trial_report_states_its_calendar_and_crossover(kb: KnowledgeBase) -> None:
    from mbctwin.course.trial import run_trial

    spec = TrialSpec.from_file(TRIALS / "monaleesa2.yaml").model_copy(update={"patients_per_arm": 150})
    report = run_trial(spec, seed=2, kb=kb)
    start = calendar_start(spec, kb)
    assert report.calendar is not None
    assert report.calendar.entry_years == (round(start, 1), round(start + spec.accrual_months / 12, 1))
    assert report.calendar.cutoff_year == round(start + (spec.accrual_months + spec.follow_up_months) / 12, 1)
    assert 0 < report.calendar.controls_given_investigational_percent < 100  # CDK4/6 approved from 2015
    untreated = spec.model_copy(update={"subsequent_therapy": "none"})
    assert "calendar" not in run_trial(untreated, seed=2, kb=kb).to_dict()


def test_a_dated_cohort_gets_only_the_drugs_of_its_years(kb: KnowledgeBase) -> None:
    """Courses beginning in 2008-2016 never start a line with a drug before its approval for the
    subtype, live shorter than the same cohort treated today, and repeat with the seed."""
    from mbctwin.course.populations import run_cohort

    dated = run_cohort("HR+/HER2-", patients=600, seed=4, kb=kb, treated_from=(2008, 2016))
    today = run_cohort("HR+/HER2-", patients=600, seed=4, kb=kb)
    assert today.cohort.calendar is None
    assert dated.to_dict()["treated_from"] == [2008, 2016]
    calendar = dated.cohort.calendar
    assert calendar.min() >= 2008
    assert calendar.max() <= 2016
    available = packaged_availability()
    lines = dated.result.lines
    lines = lines[lines["regimen"] != "best supportive care"]
    years = np.floor(calendar[lines["patient"].to_numpy()] + lines["start_months"].to_numpy() / 12.0)
    for regimen, year in zip(lines["regimen"], years, strict=True):
        assert available.in_practice(regimen_drugs(regimen), "HR+/HER2-", "zero", int(year)) is not False, (
            regimen,
            year,
        )
    assert dated.to_dict()["os_median_months"] < today.to_dict()["os_median_months"]
    again = run_cohort("HR+/HER2-", patients=600, seed=4, kb=kb, treated_from=(2008, 2016))
    assert again.result.lines.equals(dated.result.lines)
    with pytest.raises(ValueError, match="treated_from"):
        run_cohort("HR+/HER2-", patients=10, seed=4, kb=kb, treated_from=(2016, 2008))


def test_before_an_add_on_was_approved_patients_get_its_backbone(kb: KnowledgeBase) -> None:
    """HER2-positive first line in 2010: pertuzumab (2012) not yet approved, so trastuzumab + docetaxel,
    CLEOPATRA's control arm, not best supportive care."""
    from mbctwin.course.populations import run_cohort

    dated = run_cohort("HR-/HER2+", patients=200, years=1, seed=2, kb=kb, treated_from=(2010, 2010))
    lines = dated.result.lines
    first = set(lines.loc[lines["line"] == lines.groupby("patient")["line"].transform("min"), "regimen"])
    assert "docetaxel + trastuzumab" in first or "trastuzumab + docetaxel" in first
    assert not any("pertuzumab" in regimen for regimen in first)


def test_an_in_silico_trial_starts_from_its_own_published_pfs(kb: KnowledgeBase) -> None:
    """PALOMA-3's arms take PALOMA-3's PFS (9.5 vs 4.6 months, HR 0.46), named in the spec."""
    from mbctwin.course.trial import run_trial

    folder = Path(__file__).resolve().parents[2] / "benchmarks" / "validation_trials"
    spec = TrialSpec.from_file(folder / "paloma3.yaml").model_copy(update={"patients_per_arm": 2000})
    assert spec.report_source(kb).id == "paloma3"
    report = run_trial(spec, seed=5, kb=kb)
    assert report.pfs_hr[0] == pytest.approx(0.46, abs=0.06)
    assert report.arms[1].pfs_median_months == pytest.approx(4.6, rel=0.12)
