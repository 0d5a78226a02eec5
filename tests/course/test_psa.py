"""Probabilistic sensitivity analysis: reproducible draws, wired perturbations, valid parameters."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mbctwin.case.io import example_case
from mbctwin.course.cohort import from_case
from mbctwin.course.efficacy import implied_shape
from mbctwin.course.frailty import cox_limit
from mbctwin.course.model import CourseModel
from mbctwin.course.params import CourseParams
from mbctwin.course.policy import parse_policy
from mbctwin.course.psa import (
    OUTCOMES,
    PsaResult,
    Uncertainty,
    _perturb_effect,
    draw_kb,
    draw_params,
    draw_seeds,
    flat_values,
    hr_log_se,
    outcomes,
    run_psa,
)
from mbctwin.errors import UncertaintyError
from mbctwin.knowledge.loader import KnowledgeBase

CASE = example_case("triple-negative-first-line")  # short survival: fast runs
SMALL: dict[str, Any] = {"draws": 3, "patients": 150, "years": 4.0}
EFFICACY = Uncertainty.from_file().efficacy.model_dump()
PROBABILITY_FIELDS = ("next_line_probability", "death_at_progression", "new_site_probability", "utilities")


@pytest.fixture(scope="module")
def params() -> CourseParams:
    return CourseParams.from_file()


@pytest.fixture(scope="module")
def uncertainty() -> Uncertainty:
    return Uncertainty.from_file()


def _numbers(value: Any) -> list[float]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list | tuple):
        return [n for v in value for n in _numbers(v)]
    return [float(value)] if isinstance(value, int | float) and not isinstance(value, bool) else []


@pytest.fixture(scope="module")
def serial(kb: KnowledgeBase, params: CourseParams) -> PsaResult:
    return run_psa(CASE, seed=5, kb=kb, params=params, **SMALL)


def test_same_seed_same_table_and_other_seed_differs(
    kb: KnowledgeBase, params: CourseParams, serial: PsaResult
) -> None:
    again = run_psa(CASE, seed=5, kb=kb, params=params, **SMALL)
    other = run_psa(CASE, seed=6, kb=kb, params=params, **SMALL)
    assert serial.table.equals(again.table)
    assert serial.to_dict() == again.to_dict()
    assert not serial.table[list(OUTCOMES)].equals(other.table[list(OUTCOMES)])
    assert serial.table["draw"].tolist() == list(range(SMALL["draws"]))


def test_draws_share_the_engine_plans_of_a_run(
    kb: KnowledgeBase, params: CourseParams, planned_cases: list[str]
) -> None:
    """Plans depend on the case, not on drawn parameters: each distinct state is planned once per
    run, whatever the number of draws (decisions and the care new sites trigger alike)."""
    run_psa(CASE, seed=7, kb=kb, params=params, draws=4, patients=300, years=8.0)
    assert planned_cases
    assert len(planned_cases) == len(set(planned_cases))


def test_grouping_of_draws_into_tasks_does_not_change_results(
    kb: KnowledgeBase, params: CourseParams, serial: PsaResult
) -> None:
    grouped = run_psa(CASE, seed=5, kb=kb, params=params, draws_per_task=2, **SMALL)
    assert serial.table.equals(grouped.table)


def test_psa_on_a_local_dask_cluster_equals_the_serial_run(
    kb: KnowledgeBase, params: CourseParams, serial: PsaResult
) -> None:
    pytest.importorskip("dask.distributed")
    parallel = run_psa(CASE, seed=5, kb=kb, params=params, scheduler="dask", **SMALL)
    assert serial.table.equals(parallel.table)
    assert serial.to_dict() == parallel.to_dict()


def test_zero_spread_reproduces_the_base_model_exactly(
    kb: KnowledgeBase, params: CourseParams, uncertainty: Uncertainty
) -> None:
    fixed = uncertainty.without_spread()
    rng = np.random.default_rng(0)
    assert draw_params(params, fixed, rng) == params
    assert draw_kb(kb, fixed.efficacy, params.weibull_shape, rng).sources == kb.sources
    psa = run_psa(CASE, seed=9, kb=kb, uncertainty=fixed, params=params, **(SMALL | {"draws": 2}))
    base_model = CourseModel(params=params, policy=parse_policy("engine", kb), kb=kb)
    for draw, (_, simulation_seed) in enumerate(draw_seeds(9, 2)):
        base = base_model.simulate(from_case(CASE, SMALL["patients"]), years=SMALL["years"], seed=simulation_seed)
        expected = outcomes(base)
        row = psa.table.iloc[draw]
        for name in OUTCOMES:
            assert row[name] == pytest.approx(expected[name], rel=0, abs=0, nan_ok=True), name


def test_perturbations_reach_the_model(kb: KnowledgeBase, params: CourseParams, uncertainty: Uncertainty) -> None:
    """Same simulation seeds: efficacy-only spread moves first-line PFS; parameter-only spread moves
    the drawn parameters and survival; both differ from the zero-spread (base) run."""
    fixed = uncertainty.without_spread()
    efficacy_only = Uncertainty(efficacy=uncertainty.efficacy, parameters=fixed.parameters)
    parameters_only = Uncertainty(efficacy=fixed.efficacy, parameters=uncertainty.parameters)
    runs = {
        name: run_psa(CASE, seed=4, kb=kb, uncertainty=u, params=params, **SMALL).table
        for name, u in (("base", fixed), ("efficacy", efficacy_only), ("parameters", parameters_only))
    }
    pfs = "pfs_first_line_median_months"
    assert not np.allclose(runs["efficacy"][pfs], runs["base"][pfs])
    assert not np.allclose(runs["parameters"]["life_years_mean"], runs["base"]["life_years_mean"])
    drawn = runs["parameters"]["death_at_progression"]
    assert drawn.nunique() == SMALL["draws"]
    assert (runs["base"]["death_at_progression"] == params.death_at_progression).all()


def test_outcomes_follow_the_definitions_of_the_course_summary(kb: KnowledgeBase, params: CourseParams) -> None:
    result = CourseModel(params=params, kb=kb).simulate(from_case(CASE, 300), years=4, seed=1)
    mine, theirs = outcomes(result), result.to_dict()
    assert round(mine["os_median_months"], 1) == theirs["os_median_months"]
    assert round(mine["life_years_mean"], 3) == theirs["life_years_mean"]
    assert round(mine["qalys_mean"], 3) == theirs["qalys_mean"]
    assert round(mine["alive_1y_percent"], 1) == theirs["alive_percent"]["1y"]


def test_summary_reports_mean_median_and_percentiles(kb: KnowledgeBase, params: CourseParams) -> None:
    psa = run_psa(CASE, draws=5, patients=100, years=3.0, seed=1, kb=kb, params=params)
    summary = psa.to_dict()
    for name in OUTCOMES:
        stats = summary["outcomes"][name]
        if stats["mean"] is not None:
            assert stats["p2_5"] <= stats["median"] <= stats["p97_5"]
            assert stats["p2_5"] <= stats["mean"] <= stats["p97_5"]
    assert summary["draws"] == 5
    assert "utilities" in summary["uncertain_parameters"]
    assert list(psa.summary.index) == list(OUTCOMES)
    assert psa.summary.loc["qalys_mean", "median"] == summary["outcomes"]["qalys_mean"]["median"]


def test_hazard_ratio_draws_follow_the_published_ci(kb: KnowledgeBase, uncertainty: Uncertainty) -> None:
    effect = next(e for e in kb.sources["paloma2"].effects if e.endpoint == "pfs")
    se = hr_log_se(effect)
    assert se == pytest.approx((math.log(0.72) - math.log(0.46)) / (2 * 1.96))
    rng = np.random.default_rng(3)
    drawn = [_perturb_effect(effect, uncertainty.efficacy, 1.0, rng) for _ in range(2000)]
    log_hr = np.log([d.hr for d in drawn])
    assert log_hr.std() == pytest.approx(se, rel=0.08)
    assert np.median(log_hr) == pytest.approx(math.log(effect.hr), abs=0.02)
    # the experimental median moves with the drawn HR under the trial's own Weibull shape
    # (efficacy.implied_shape), so a draw's medians and HR keep agreeing
    k = implied_shape(effect)
    for d in drawn[:50]:
        ratio = d.experimental.median_months / d.control.median_months
        published = effect.experimental.median_months / effect.control.median_months
        assert ratio == pytest.approx(published * (d.hr / effect.hr) ** (-1 / k))


def test_drawn_medians_agree_with_the_drawn_hazard_ratio_under_the_frailty(
    kb: KnowledgeBase, uncertainty: Uncertainty, params: CourseParams
) -> None:
    """The model re-solves each trial's per-patient shape from a draw's medians and HR; the draw must
    move the medians so that, at the published shape, the population curves show the drawn HR (HRs
    drawn three times wider than the CI, where scaling by the per-patient shape misses by 0.08)."""
    theta = params.frailty_variance
    assert theta > 0
    spread = uncertainty.efficacy.hazard_ratio_se_scale
    wide = uncertainty.efficacy.model_copy(update={"hazard_ratio_se_scale": spread.model_copy(update={"value": 3.0})})
    rng = np.random.default_rng(11)
    for source_id in ("paloma2", "cleopatra", "her2climb"):
        effect = next(e for e in kb.sources[source_id].effects if e.endpoint == "pfs")
        shape = implied_shape(effect, theta)
        for _ in range(5):
            d = _perturb_effect(effect, wide, 1.0, rng)
            medians = (d.experimental.median_months, d.control.median_months)
            assert cox_limit(medians, shape, theta) == pytest.approx(d.hr, abs=0.02)


def test_the_engine_keeps_the_published_knowledge_base(kb: KnowledgeBase, uncertainty: Uncertainty) -> None:
    drawn = draw_kb(kb, uncertainty.efficacy, 1.0, np.random.default_rng(1))
    assert drawn.regimens is kb.regimens
    assert drawn.sources["paloma2"] != kb.sources["paloma2"]
    assert kb.sources["paloma2"].effects[0].hr == 0.58  # the cached knowledge base is untouched


def test_packaged_uncertainty_names_known_sources(kb: KnowledgeBase, uncertainty: Uncertainty) -> None:
    for name, spread in uncertainty.parameters.items():
        assert name.split(".")[0] in CourseParams.model_fields
        assert set(spread.source) <= set(kb.sources), name
        assert spread.source or "assumption" in (spread.note or "")


def _spec(**changes: Any) -> dict[str, Any]:
    return {"distribution": "beta", "sample_size": 10, "note": "assumption"} | changes


@pytest.mark.parametrize(
    ("raw_parameters", "field"),
    [
        ({"attrition_per_line": _spec()}, "parameters.attrition_per_line"),
        ({"background_mortality_female": _spec()}, "parameters.background_mortality_female"),
        ({"utilities": _spec(distribution="gamma")}, "parameters.utilities.distribution"),
        ({"utilities": _spec(note=None)}, "parameters.utilities"),
        ({"utilities": _spec(distribution="lognormal")}, "parameters.utilities"),
        ({"utilities": _spec(sd=1)}, "parameters.utilities.sd"),
        ({"checkpoint_long_survivors.share": _spec()}, "parameters.checkpoint_long_survivors.share"),
    ],
)
def test_bad_uncertainty_names_the_field(
    tmp_path: Path, uncertainty: Uncertainty, raw_parameters: dict, field: str
) -> None:
    import yaml

    raw = {"efficacy": uncertainty.efficacy.model_dump(), "parameters": raw_parameters}
    path = tmp_path / "uncertainty.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(UncertaintyError) as error:
        Uncertainty.from_file(path)
    assert field in [p.field for p in error.value.problems]


def test_wrong_family_for_a_value_names_the_field(
    kb: KnowledgeBase, params: CourseParams, uncertainty: Uncertainty
) -> None:
    wrong = Uncertainty.from_dict(
        {
            "efficacy": uncertainty.efficacy.model_dump(),
            "parameters": {"bsc_median_months": {"distribution": "beta", "sample_size": 10, "note": "assumption"}},
        }
    )
    with pytest.raises(UncertaintyError, match=r"parameters\.bsc_median_months"):
        run_psa(CASE, draws=1, patients=10, kb=kb, params=params, uncertainty=wrong)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    sample_size=st.floats(0.5, 5000),
    relative_sd=st.floats(0, 3),
    use_sample_size=st.booleans(),
)
def test_parameter_draws_stay_in_range(
    params: CourseParams, seed: int, sample_size: float, relative_sd: float, use_sample_size: bool
) -> None:
    measure = {"sample_size": sample_size} if use_sample_size else {"relative_sd": relative_sd}
    raw = {
        "efficacy": EFFICACY,
        "parameters": {name: {"distribution": "beta", "note": "assumption", **measure} for name in PROBABILITY_FIELDS}
        | {
            name: {"distribution": "lognormal", "relative_sd": relative_sd, "note": "assumption"}
            for name in ("bsc_median_months", "fallback_pfs_months", "prognostic_hr")
        },
    }
    problems = []
    try:
        drawn = draw_params(params, Uncertainty.from_dict(raw), np.random.default_rng(seed))
    except UncertaintyError as error:  # a relative SD too large for some probability is refused by name
        problems = error.problems
    if problems:
        assert not use_sample_size
        assert all(p.field.split(".")[1] in PROBABILITY_FIELDS for p in problems)
        return
    for name in PROBABILITY_FIELDS:
        assert all(0 <= v <= 1 for v in _numbers(drawn.model_dump()[name]))
    for name in ("bsc_median_months", "fallback_pfs_months", "prognostic_hr"):
        assert all(v > 0 for v in _numbers(drawn.model_dump()[name]))
    assert drawn.background_mortality_female == params.background_mortality_female


def test_a_dotted_name_draws_that_part_of_a_field_alone(params: CourseParams, uncertainty: Uncertainty) -> None:
    """``checkpoint_long_survivors.fraction`` and ``.hazard_ratio`` vary from draw to draw within (0, 1]; the
    switch's population (``max_line``, ``pd_l1``) and ``enabled`` never move, and the drawn numbers are
    reported as columns of their own."""
    switch = params.checkpoint_long_survivors
    drawn = [draw_params(params, uncertainty, np.random.default_rng(seed)) for seed in range(30)]
    fractions = {d.checkpoint_long_survivors.fraction for d in drawn}
    ratios = {d.checkpoint_long_survivors.hazard_ratio for d in drawn}
    assert len(fractions) == len(ratios) == 30
    assert all(0 < r <= 1 for r in ratios)
    for d in drawn:
        kept = d.checkpoint_long_survivors.model_dump(exclude={"fraction", "hazard_ratio"})
        assert kept == switch.model_dump(exclude={"fraction", "hazard_ratio"})
    columns = flat_values(drawn[0], uncertainty)
    assert columns["checkpoint_long_survivors.fraction"] == drawn[0].checkpoint_long_survivors.fraction
    assert not any(name.startswith("checkpoint_long_survivors.pd_l1") for name in columns)
