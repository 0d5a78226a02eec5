"""Presentation and age shift hazards relative to the population the PFS figures describe."""

from __future__ import annotations

import numpy as np
import pytest

from mbctwin.case.io import example_case
from mbctwin.course import survival
from mbctwin.course.cohort import from_case, from_template
from mbctwin.course.model import CourseModel
from mbctwin.course.params import CourseParams
from mbctwin.course.prognosis import relative_risk
from mbctwin.knowledge.loader import KnowledgeBase

PARAMS = CourseParams.from_file()


def _recurrent(case, dfi: float | None, age: int):
    return case.model_copy(update={"presentation": "recurrent", "disease_free_interval_months": dfi, "age": age})


def _de_novo(case, age: int):
    """The case as de novo disease: no disease-free interval and no (neo)adjuvant history (contract §1)."""
    metastatic = [p for p in case.prior_therapies if p.setting == "metastatic"]
    update = {
        "presentation": "de_novo",
        "disease_free_interval_months": None,
        "age": age,
        "prior_therapies": metastatic,
    }
    return case.model_copy(update=update)


def _reference() -> float:
    hr, mix = PARAMS.prognostic_hr, PARAMS.prognostic_reference
    presentation = (
        1 - mix.recurrent_dfi_under_24_months + mix.recurrent_dfi_under_24_months * hr.recurrent_dfi_under_24_months
    )
    return presentation * (1 - mix.age_over_60 + mix.age_over_60 * hr.age_over_60)


def test_a_single_patient_is_compared_with_the_published_population_mix() -> None:
    case = example_case("hr-positive-first-line")
    hr = PARAMS.prognostic_hr
    early = relative_risk(PARAMS, from_case(_recurrent(case, 12, 55), 3))
    late = relative_risk(PARAMS, from_case(_recurrent(case, 60, 55), 3))
    old_de_novo = relative_risk(PARAMS, from_case(_de_novo(case, 70), 3))
    assert early == pytest.approx(np.full(3, hr.recurrent_dfi_under_24_months / _reference()))
    assert late == pytest.approx(np.full(3, 1 / _reference()))
    assert old_de_novo == pytest.approx(np.full(3, hr.age_over_60 / _reference()))


def test_a_recurrence_of_unknown_interval_gets_the_average_recurrence() -> None:
    case = example_case("hr-positive-first-line")
    unknown = relative_risk(PARAMS, from_case(_recurrent(case, None, 55), 1))[0]
    early = relative_risk(PARAMS, from_case(_recurrent(case, 6, 55), 1))[0]
    late = relative_risk(PARAMS, from_case(_recurrent(case, 36, 55), 1))[0]
    assert late < unknown < early


def test_a_population_is_its_own_reference() -> None:
    """A trial's median PFS is an average over its patients: their multipliers average to 1."""
    case = _recurrent(example_case("hr-positive-first-line"), 12, 60)
    vary = {
        "age": {"normal": [60, 12], "clip": [30, 90]},
        "presentation": {"choice": ["de_novo", "recurrent"], "p": [0.3, 0.7]},
    }
    cohort = from_template(case, 5000, vary, np.random.default_rng(2))
    risk = relative_risk(PARAMS, cohort)
    assert risk.mean() == pytest.approx(1.0)
    de_novo = np.array([t.presentation == "de_novo" for t in cohort.templates])[cohort.template]
    young = cohort.age <= 60
    assert risk[~de_novo & young].mean() / risk[de_novo & young].mean() == pytest.approx(
        PARAMS.prognostic_hr.recurrent_dfi_under_24_months
    )


def test_an_early_relapse_shortens_the_simulated_course(kb: KnowledgeBase) -> None:
    case = example_case("hr-positive-first-line")
    model = CourseModel(kb=kb)

    def os_median(variant) -> float:
        result = model.simulate(from_case(variant, 3000), years=10, seed=5)
        return survival.km_median(result.patients["os_months"].to_numpy(), result.patients["died"].to_numpy())[0]

    assert os_median(_recurrent(case, 12, 55)) < 0.8 * os_median(_de_novo(case, 55))
