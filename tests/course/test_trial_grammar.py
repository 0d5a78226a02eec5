"""The trial spec grammar of shared spec course-targets.md §1: strata, published crossover, dating and
sources, and the agreement of every spec's published figures with the knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from mbctwin.course.agreement import published_disagreements
from mbctwin.course.params import CourseParams
from mbctwin.course.trial import Crossover, Population, TrialReport, TrialSpec, enrol, run_trial
from mbctwin.knowledge.loader import KnowledgeBase
from tests.course.test_trial import SHIPPED, TRIALS

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
HELD_OUT = [p for d in ("validation_trials", "unseen_trials") for p in sorted((BENCHMARKS / d).glob("*.yaml"))]
ALL_SPECS = SHIPPED + HELD_OUT


def _two_strata(spec: TrialSpec, weight: float) -> TrialSpec:
    """The spec's template (without its draws) as two strata, aged 70 and 35."""
    case = {**spec.population.stratified()[0].case, "age": 70}
    other = {**case, "age": 35}
    population = Population(strata=[{"weight": weight, "case": case}, {"weight": 1 - weight, "case": other}])
    return spec.model_copy(update={"population": population})


@pytest.mark.parametrize("path", ALL_SPECS, ids=[p.stem for p in ALL_SPECS])
def test_every_spec_loads_and_agrees_with_the_knowledge_base(path: Path, kb: KnowledgeBase) -> None:
    """A spec names its report by source_id, or is dated by start_year and cites its own figures."""
    spec = TrialSpec.from_file(path)
    assert spec.report_source(kb) is not None or spec.start_year is not None
    assert published_disagreements(spec, kb) == []


def test_a_published_figure_that_differs_from_the_knowledge_base_fails_unless_cited(kb: KnowledgeBase) -> None:
    spec = TrialSpec.from_file(TRIALS / "her2climb.yaml")
    assert spec.published is not None
    drifted = spec.model_copy(update={"published": spec.published.model_copy(update={"os_hr": 0.70})})
    assert published_disagreements(drifted, kb)[0].startswith("HER2CLIMB: published os")
    cited = drifted.published.model_copy(update={"data_cut": "a later cut", "citation": "Curigliano 2022"})
    assert published_disagreements(drifted.model_copy(update={"published": cited}), kb) == []
    unsourced = spec.model_copy(update={"source_id": None})
    assert "without source_id" in published_disagreements(unsourced, kb)[0]


@pytest.mark.parametrize(
    ("population", "message"),
    [
        ({"strata": [{"weight": 0.5, "case": {}}, {"weight": 0.4, "case": {}}]}, "sum to 1"),
        ({"case": {}, "strata": [{"weight": 1.0, "case": {}}]}, "either case"),
        ({"strata": [{"weight": 1.0, "case": {}}], "vary": {"ecog": {"choice": [0, 1]}}}, "inside each stratum"),
        ({}, "either case"),
    ],
)
def test_bad_populations_are_refused(population: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Population(**population)


def test_strata_are_drawn_by_weight_and_balanced_within_each_stratum() -> None:
    spec = _two_strata(TrialSpec.from_file(TRIALS / "ascent.yaml"), 0.3).model_copy(update={"patients_per_arm": 2000})
    enrolment = enrol(spec, np.random.default_rng(7))
    counts = np.zeros((2, 2), dtype=int)  # stratum x arm
    np.add.at(counts, (enrolment.stratum_of, enrolment.arm_of), 1)
    assert (counts[:, 0] == counts[:, 1]).all()  # every stratum splits evenly between the arms
    assert counts.sum(axis=0).tolist() == [2000, 2000]
    assert counts[0, 0] / 2000 == pytest.approx(0.3, abs=0.035)  # multinomial: 3.5 SD is 0.036
    age = enrolment.cohort.age
    assert set(age[enrolment.stratum_of == 0]) == {70}
    assert set(age[enrolment.stratum_of == 1]) == {35}


def test_one_stratum_equals_the_top_level_form_and_reports_its_strata(kb: KnowledgeBase) -> None:
    spec = TrialSpec.from_file(TRIALS / "ascent.yaml").model_copy(update={"patients_per_arm": 60})
    top = spec.population
    stratum = Population(strata=[{"weight": 1.0, "case": top.case, "vary": top.vary}])
    report = run_trial(spec, seed=5, kb=kb).to_dict()
    assert run_trial(spec.model_copy(update={"population": stratum}), seed=5, kb=kb).to_dict() == report
    assert report["strata"] == [
        {
            "weight": 1.0,
            "patients": 120,
            "pfs_median_months": [arm["pfs_median_months"] for arm in report["arms"]],
            "os_median_months": [arm["os_median_months"] for arm in report["arms"]],
        }
    ]
    mixed = run_trial(_two_strata(spec, 0.5), seed=5, kb=kb)
    assert [s.weight for s in mixed.strata] == [0.5, 0.5]
    assert sum(s.patients for s in mixed.strata) == 120
    assert TrialReport.from_dict(mixed.to_dict()).strata == mixed.strata


def _crossover(report: TrialReport) -> float:
    assert report.calendar is not None
    return report.calendar.controls_given_investigational_percent


def test_a_published_crossover_share_reaches_that_share_of_controls_and_no_more(kb: KnowledgeBase) -> None:
    """MONALEESA-2's controls cross over to a CDK4/6 inhibitor in the share the spec states, whatever the
    engine would give after approval."""
    base = TrialSpec.from_file(TRIALS / "monaleesa2.yaml").model_copy(update={"patients_per_arm": 150})
    shares = {}
    for share in (0.0, 0.5):
        spec = base.model_copy(update={"subsequent_therapy": Crossover(crossover_share=share)})
        shares[share] = _crossover(run_trial(spec, seed=3, kb=kb))
    assert shares[0.0] == 0
    assert 30 <= shares[0.5] <= 55  # drawn for half, given to those who progress and are treated before the cut-off
    engine = _crossover(run_trial(base, seed=3, kb=kb))
    assert engine > shares[0.5]  # the engine alone gives it to every control it would treat with it
    switched_off = CourseParams.from_file().model_copy(update={"published_crossover": False})
    spec = base.model_copy(update={"subsequent_therapy": Crossover(crossover_share=0.5)})
    assert _crossover(run_trial(spec, seed=3, kb=kb, params=switched_off)) == engine


def test_start_year_dates_a_trial_without_a_source(kb: KnowledgeBase) -> None:
    spec = TrialSpec.from_file(TRIALS / "monaleesa2.yaml").model_copy(
        update={"patients_per_arm": 40, "source_id": None, "start_year": 2014}
    )
    calendar = run_trial(spec, seed=1, kb=kb).calendar
    assert calendar is not None
    assert calendar.entry_years[0] == 2014.0
    assert run_trial(spec.model_copy(update={"start_year": None}), seed=1, kb=kb).calendar is None
