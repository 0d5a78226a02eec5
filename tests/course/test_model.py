"""The course model: parameter recovery, reproducibility, invariants of the outputs."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from mbctwin.case.derived import line as case_line
from mbctwin.case.io import example_case
from mbctwin.course import survival
from mbctwin.course.cohort import concatenate, from_case, from_template
from mbctwin.course.efficacy import EfficacyTable
from mbctwin.course.model import BLOCK_SIZE, CourseModel
from mbctwin.course.params import CheckpointLongSurvivors, CourseParams
from mbctwin.course.policy import FixedPolicy, NoFurtherTherapy, parse_policy
from mbctwin.engine.plan import build_plan
from mbctwin.knowledge.loader import KnowledgeBase
from tests.conftest import case_with


def _quiet_params(**changes: object) -> CourseParams:
    """No background mortality, no death at progression, no presentation or age effect: pure
    time-to-progression of a trial-like patient."""
    base = CourseParams.from_file()
    zero = {40: 0.0, 90: 0.0}
    neutral = base.prognostic_hr.model_copy(update={"recurrent_dfi_under_24_months": 1.0, "age_over_60": 1.0})
    return base.model_copy(
        update={
            "background_mortality_female": zero,
            "background_mortality_male": zero,
            "death_at_progression": 0.0,
            "prognostic_hr": neutral,
            **changes,
        }
    )


HER2_THIRD_LINE = {
    "tumor": {"er": "negative", "er_percent": 0, "pr": "negative", "her2_ihc": "3+"},
    "prior_therapies": [
        {
            "setting": "metastatic",
            "drugs": ["docetaxel", "trastuzumab", "pertuzumab"],
            "months_on_treatment": 18,
            "ended_because": "progression",
        },
        {
            "setting": "metastatic",
            "drugs": ["trastuzumab_emtansine"],
            "months_on_treatment": 8,
            "ended_because": "progression",
        },
    ],
}


def test_first_line_pfs_recovers_the_published_median(kb: KnowledgeBase) -> None:
    """Weibull PFS fitted to HER2CLIMB's arm: at the trial's line (after a taxane with trastuzumab
    and pertuzumab, then T-DM1) the KM median of 20,000 patients lands on it."""
    case = case_with(**HER2_THIRD_LINE)
    model = CourseModel(params=_quiet_params(), policy=lambda _: ("tucatinib", "trastuzumab", "capecitabine"), kb=kb)
    result = model.simulate(from_case(case, 20_000), years=30, seed=11)
    durations, events = result.line_pfs(3)
    median = survival.km_median(durations, events)[0]
    published = next(e for e in kb.sources["her2climb"].effects if e.endpoint == "pfs").experimental.median_months
    assert median == pytest.approx(published, rel=0.04)


def test_same_seed_same_result_and_other_seed_differs(kb: KnowledgeBase) -> None:
    model = CourseModel(kb=kb)
    cohort = from_case(example_case("hr-positive-first-line"), 3000)
    first = model.simulate(cohort, years=5, seed=4)
    again = model.simulate(cohort, years=5, seed=4)
    other = model.simulate(cohort, years=5, seed=5)
    assert first.patients.equals(again.patients)
    assert first.lines.equals(again.lines)
    assert not first.patients["os_months"].equals(other.patients["os_months"])


@pytest.mark.parametrize("blocks_per_chunk", [1, 3, 8])
def test_chunking_does_not_change_results(kb: KnowledgeBase, blocks_per_chunk: int) -> None:
    model = CourseModel(kb=kb)
    cohort = from_case(example_case("triple-negative-first-line"), 3 * BLOCK_SIZE + 17)
    reference = model.simulate(cohort, years=5, seed=9, blocks_per_chunk=100)
    chunked = model.simulate(cohort, years=5, seed=9, blocks_per_chunk=blocks_per_chunk)
    assert reference.patients.equals(chunked.patients)


def test_outputs_are_consistent(kb: KnowledgeBase) -> None:
    result = CourseModel(kb=kb).simulate(from_case(example_case("her2-positive-brain"), 4000), years=8, seed=2)
    patients, lines = result.patients, result.lines
    assert (patients["os_months"] <= 8 * 12 + 1e-9).all()
    assert (lines["stop_months"] >= lines["start_months"]).all()
    last = lines.groupby("patient")["stop_months"].max().to_numpy()
    np.testing.assert_allclose(last, patients["os_months"].to_numpy())
    assert (patients.loc[patients["died"], "os_months"] < 96).all()
    assert ((patients["qalys"] >= 0) & (patients["qalys"] <= patients["life_years"] + 1e-9)).all()
    assert result.site_ever_percent()["brain"] == 100.0  # brain disease at the start


def test_time_on_lines_and_on_chemotherapy_add_up(kb: KnowledgeBase) -> None:
    """A fixed sequence (endocrine, then chemotherapy, then an ADC): the summary's times are the
    line table's durations, per line and per kind of treatment."""
    policy = FixedPolicy((("letrozole", "ribociclib"), ("capecitabine",), ("trastuzumab_deruxtecan",)))
    result = CourseModel(kb=kb, policy=policy).simulate(
        from_case(example_case("hr-positive-first-line"), 3000), years=10, seed=3
    )
    lines, summary = result.lines, result.to_dict()
    duration = lines["stop_months"] - lines["start_months"]
    n = len(result.patients)
    assert summary["time_on_line_months_mean"]["1"] == pytest.approx(duration[lines["line"] == 1].mean(), abs=0.05)
    capecitabine = duration[lines["regimen"] == "capecitabine"].sum() / n
    adc = duration[lines["regimen"] == "trastuzumab_deruxtecan"].sum() / n
    assert summary["chemotherapy_months_mean"] == pytest.approx(capecitabine, abs=0.01)
    assert summary["cytotoxic_months_mean"] == pytest.approx(capecitabine + adc, abs=0.01)
    by_year = summary["site_percent_by_year"]["liver"]
    assert by_year["1y"] <= by_year["2y"] <= by_year["5y"] <= summary["site_ever_percent"]["liver"]


def test_survival_curve_is_a_proper_curve(kb: KnowledgeBase) -> None:
    result = CourseModel(kb=kb).simulate(from_case(example_case("hr-positive-first-line"), 2000), years=10, seed=1)
    _times, curve, low, high = survival.km_curve(
        result.patients["os_months"].to_numpy(), result.patients["died"].to_numpy()
    )
    assert np.all(np.diff(curve) <= 1e-12)
    assert curve.min() >= 0
    assert curve.max() <= 1
    assert np.all(low <= curve + 1e-12)
    assert np.all(high >= curve - 1e-12)


def test_better_first_line_lengthens_survival(kb: KnowledgeBase) -> None:
    case = example_case("hr-positive-first-line")
    cohort = from_case(case, 6000)
    combined = CourseModel(policy=FixedPolicy((("letrozole", "ribociclib"),)), kb=kb).simulate(cohort, seed=3)
    alone = CourseModel(policy=FixedPolicy((("letrozole",),)), kb=kb).simulate(cohort, seed=3)
    assert combined.patients["os_months"].mean() > alone.patients["os_months"].mean() + 3


def test_no_further_therapy_shortens_survival(kb: KnowledgeBase) -> None:
    cohort = from_case(example_case("triple-negative-first-line"), 4000)
    engine = CourseModel(kb=kb).simulate(cohort, years=8, seed=6)
    stop = CourseModel(policy=NoFurtherTherapy(), kb=kb).simulate(cohort, years=8, seed=6)
    assert engine.patients["os_months"].mean() > stop.patients["os_months"].mean()


def test_engine_policy_follows_the_plan_at_each_line(kb: KnowledgeBase) -> None:
    result = CourseModel(kb=kb).simulate(from_case(example_case("hr-positive-first-line"), 2000), years=10, seed=8)
    first = result.lines[result.lines["line"] == 1]["regimen"].unique()
    assert list(first) == ["letrozole + ribociclib"]
    second = set(result.lines[result.lines["line"] == 2]["regimen"])
    assert not any("ribociclib" in r and "letrozole" in r for r in second)


def test_cohort_vary_draws_around_the_template() -> None:
    rng = np.random.default_rng(0)
    case = example_case("hr-positive-first-line")
    cohort = from_template(
        case,
        5000,
        {
            "age": {"normal": [60, 8], "clip": [30, 85]},
            "ecog": {"choice": [0, 1], "p": [0.6, 0.4]},
            "visceral_fraction": 0.5,
            "presentation": {"choice": ["de_novo", "recurrent"], "p": [0.3, 0.7]},
        },
        rng,
    )
    assert 59 < cohort.age.mean() < 61
    assert cohort.age.min() >= 30
    assert cohort.age.max() <= 85
    assert abs((cohort.ecog == 0).mean() - 0.6) < 0.03
    lung = cohort.sites[:, 1]
    assert abs(lung.mean() - 0.5) < 0.03
    assert {t.presentation for t in cohort.templates} == {"de_novo", "recurrent"}


def test_cohort_vary_reaches_every_scalar_case_field() -> None:
    """The trial-spec grammar: any scalar field, top level or tumor.*, drawn per patient."""
    case = example_case("hr-positive-first-line")
    case = case.model_copy(update={"tumor": case.tumor.model_copy(update={"er_percent": None})})
    vary = {
        "tumor.er": {"choice": ["positive", "negative"], "p": [0.8, 0.2]},
        "tumor.pr": {"choice": ["negative"], "p": [1.0]},
        "menopausal_status": {"choice": ["pre", "post"], "p": [0.3, 0.7]},
        "disease_free_interval_months": {"normal": [36, 12], "clip": [0, 120]},
    }
    cohort = from_template(case, 4000, vary, np.random.default_rng(1))
    patient = [cohort.templates[t] for t in cohort.template]
    assert abs(np.mean([c.tumor.er == "negative" for c in patient]) - 0.2) < 0.03
    assert abs(np.mean([c.menopausal_status == "pre" for c in patient]) - 0.3) < 0.03
    assert {c.tumor.pr for c in patient} == {"negative"}
    intervals = np.array([c.disease_free_interval_months for c in patient])
    assert np.allclose(intervals * 10, np.rint(intervals * 10))  # a float field: one decimal, shared templates
    ages = cohort.age
    assert np.array_equal(ages, np.rint(ages))
    assert abs(intervals.mean() - 36) < 1.0
    subtypes = np.array(cohort.subtype)[cohort.template]
    assert set(subtypes) == {"HR+/HER2-", "triple-negative"}
    assert (subtypes == "triple-negative").tolist() == [c.tumor.er == "negative" for c in patient]


@pytest.mark.parametrize(
    ("vary", "field"),
    [
        ({"metastases": {"choice": [[]], "p": [1.0]}}, "vary.metastases"),
        ({"tumor.colour": {"choice": ["red"], "p": [1.0]}}, "vary.tumor.colour"),
        ({"id": {"choice": ["a", "b"], "p": [0.5, 0.5]}}, "vary.id"),
        ({"tumor.her2_ihc": {"choice": ["5+"], "p": [1.0]}}, "vary.tumor.her2_ihc"),
        ({"ecog": {"uniform": [0, 1]}}, "vary.ecog"),
        ({"ecog": {"choice": [0, 7], "p": [0.5, 0.5]}}, "vary.ecog"),  # ECOG is 0-4
        ({"age": {"choice": [12], "p": [1.0]}}, "vary.age"),
        ({"tumor.er": {"choice": ["negative"], "p": [1.0]}}, "vary.tumor.er"),  # the template says ER 90 %
    ],
)
def test_cohort_vary_refuses_what_is_not_a_drawable_field(vary: dict, field: str) -> None:
    from mbctwin.errors import PopulationError

    with pytest.raises(PopulationError) as caught:
        from_template(example_case("hr-positive-first-line"), 10, vary, np.random.default_rng(0))
    assert caught.value.problems[0].field == field


def test_policy_text_is_parsed_or_refused() -> None:
    fixed = parse_policy("fixed:letrozole+ribociclib;fulvestrant")
    assert isinstance(fixed, FixedPolicy)
    assert fixed.sequence == (("letrozole", "ribociclib"), ("fulvestrant",))
    with pytest.raises(ValueError, match="unknown policy"):
        parse_policy("random")
    with pytest.raises(ValueError, match="letrozol"):
        parse_policy("fixed:letrozol+ribociclib")


def test_a_fixed_first_line_can_hand_later_lines_to_the_engine(kb: KnowledgeBase) -> None:
    policy = parse_policy("fixed:letrozole+ribociclib;engine", kb)
    assert str(policy) == "fixed:letrozole+ribociclib;engine"
    first, after = case_with(), case_with(**HER2_THIRD_LINE)
    assert policy(first) == ("letrozole", "ribociclib")
    engine = parse_policy("engine", kb)(after)
    assert engine is not None
    assert policy(after) == engine
    assert parse_policy("fixed:letrozole+ribociclib", kb)(after) is None  # best supportive care


def test_cytotoxic_regimens_take_the_efficacy_of_their_chemotherapy_line(kb: KnowledgeBase) -> None:
    """A first chemotherapy after two endocrine lines is matched as first-line chemotherapy (trials of
    chemotherapy enrol by prior chemotherapy lines), not as third-line chemotherapy."""
    case = case_with(
        prior_therapies=[
            {
                "setting": "metastatic",
                "drugs": ["letrozole", "palbociclib"],
                "months_on_treatment": 20,
                "ended_because": "progression",
            },
            {
                "setting": "metastatic",
                "drugs": ["fulvestrant"],
                "months_on_treatment": 7,
                "ended_because": "progression",
            },
        ]
    )
    params = _quiet_params()
    model = CourseModel(params=params, policy=lambda _: ("capecitabine",), kb=kb)
    durations, events = model.simulate(from_case(case, 20_000), years=30, seed=5).line_pfs(3)
    table = EfficacyTable.for_params(kb, params)
    as_first_chemotherapy = table.lookup(frozenset({"capecitabine"}), "HR+/HER2-", 1).median_months
    as_third_line = table.lookup(frozenset({"capecitabine"}), "HR+/HER2-", 3).median_months
    assert as_first_chemotherapy > 1.3 * as_third_line
    assert survival.km_median(durations, events)[0] == pytest.approx(as_first_chemotherapy, rel=0.04)


TRIPLE_NEGATIVE = {"er": "negative", "er_percent": 0, "pr": "negative", "her2_ihc": "0"}


@pytest.mark.parametrize(("tumor", "subtype"), [(None, "HR+/HER2-"), (TRIPLE_NEGATIVE, "triple-negative")])
def test_attrition_after_first_line_follows_the_subtype_table(
    kb: KnowledgeBase, tumor: dict | None, subtype: str
) -> None:
    """Among patients who progress on line 1, the share treated again is the subtype's first
    next-line probability (Blondeaux 2025 differs by subtype)."""
    case = case_with(tumor=tumor) if tumor else case_with()
    params = _quiet_params()
    model = CourseModel(params=params, policy=lambda _: ("capecitabine",), kb=kb)
    lines = model.simulate(from_case(case, 20_000), years=40, seed=3).lines
    progressed = set(lines.loc[(lines["line"] == 1) & (lines["event"] == "progression"), "patient"])
    treated = set(lines.loc[(lines["line"] == 2) & (lines["regimen"] != "best supportive care"), "patient"])
    share = len(treated & progressed) / len(progressed)
    assert share == pytest.approx(params.next_line_probability[subtype][0], abs=0.01)


def test_a_new_brain_metastasis_triggers_the_local_treatment_the_engine_would_give(kb: KnowledgeBase) -> None:
    """Bone-only disease with a high brain tropism: every patient who acquires brain metastases gets
    the engine's brain-directed local treatment at that moment, and nobody else gets it."""
    sites = CourseParams.from_file().new_site_probability
    tropism = {subtype: {**table, "brain": 0.5} for subtype, table in sites.items()}
    model = CourseModel(params=_quiet_params(new_site_probability=tropism), kb=kb)
    result = model.simulate(from_case(case_with(), 2_000), years=10, seed=4)
    brain = result.patients.dropna(subset=["brain_months"]).set_index("patient")["brain_months"]
    local = result.events[result.events["action"].str.endswith("(brain)")]
    assert len(brain) > 200
    assert set(local["patient"]) == set(brain.index)
    assert np.allclose(local.set_index("patient")["months"].sort_index(), brain.sort_index())
    assert result.to_dict()["care_actions_percent"][local["action"].iloc[0]] == pytest.approx(
        len(brain) / 2_000 * 100, abs=0.1
    )


def test_the_care_the_starting_state_calls_for_is_recorded_at_month_0(kb: KnowledgeBase) -> None:
    """Bone-only disease from the start: every patient has the local and supportive care of the engine's
    plan for her case at month 0 (cause ``presentation``), so it is costed like care a new site triggers;
    the share of patients that new sites reached counts only the later actions."""
    case = case_with()
    plan = build_plan(case)
    expected = {f"{item.modality} ({item.site})" for item in plan.local} | {
        cls for item in plan.supportive for cls in item.classes
    }
    result = CourseModel(params=_quiet_params(), kb=kb).simulate(from_case(case, 300), years=5, seed=2)
    start = result.events[result.events["cause"] == "presentation"]
    assert expected
    assert set(start["action"]) == expected
    assert (start["months"] == 0).all()
    assert (start.groupby("action")["patient"].nunique() == 300).all()
    later = result.events[result.events["cause"] == "new_site"].drop_duplicates(["patient", "action"])
    shares = (later["action"].value_counts() / 300 * 100).round(1).to_dict()
    assert result.to_dict()["care_actions_percent"] == shares


def test_each_distinct_state_is_planned_once(kb: KnowledgeBase, planned_cases: list[str]) -> None:
    """Decisions and the care that new sites trigger read one memoised plan per state."""
    sites = CourseParams.from_file().new_site_probability
    tropism = {subtype: {**table, "brain": 0.5, "liver": 0.5} for subtype, table in sites.items()}
    result = CourseModel(params=_quiet_params(new_site_probability=tropism), kb=kb).simulate(
        from_case(case_with(), 2_000), years=10, seed=4
    )
    assert len(result.events) > 0  # new sites did trigger care
    assert len(planned_cases) == len(set(planned_cases))


def _next_line_median(
    kb: KnowledgeBase, case: object, first: tuple[str, ...], then: tuple[str, ...], carry: float
) -> float:
    """KM median PFS of ``then`` after ``first`` (every patient progresses on ``first``: quiet parameters)."""
    start = case_line(case)

    def policy(state: object) -> tuple[str, ...]:
        return first if case_line(state) == start else then

    model = CourseModel(params=_quiet_params(benefit_carryover=carry), policy=policy, kb=kb)
    return survival.km_median(*model.simulate(from_case(case, 20_000), years=40, seed=3).line_pfs(start + 1))[0]


@pytest.mark.parametrize("carry", [0.0, 1.0])
def test_a_cytotoxic_regimen_that_beat_its_control_slows_what_follows_it(kb: KnowledgeBase, carry: float) -> None:
    """HER2CLIMB: tucatinib + trastuzumab + capecitabine beat trastuzumab + capecitabine with PFS HR
    0.54; the next line's hazard is multiplied by 0.54^c, so its median grows by 0.54^(-c/k)."""
    case = case_with(**HER2_THIRD_LINE)
    then = ("trastuzumab", "vinorelbine")
    after_experimental = _next_line_median(kb, case, ("tucatinib", "trastuzumab", "capecitabine"), then, carry)
    after_control = _next_line_median(kb, case, ("trastuzumab", "capecitabine"), then, carry)
    table = EfficacyTable.for_params(kb, CourseParams.from_file())
    experimental = table.lookup(frozenset({"tucatinib", "trastuzumab", "capecitabine"}), "HR-/HER2+", 3)
    assert experimental.hr_vs_control == 0.54
    shape = table.lookup(frozenset(then), "HR-/HER2+", 4).shape or CourseParams.from_file().weibull_shape
    expected = experimental.hr_vs_control ** (-carry / shape)
    assert after_experimental / after_control == pytest.approx(expected, rel=0.05)


def test_an_endocrine_regimen_leaves_no_carry_over(kb: KnowledgeBase) -> None:
    """Ribociclib + letrozole beat letrozole (HR 0.56) but holds disease rather than shrinking it:
    fulvestrant afterwards lasts as long after either."""
    case = example_case("hr-positive-first-line")
    then = ("fulvestrant",)
    after_experimental = _next_line_median(kb, case, ("ribociclib", "letrozole"), then, 1.0)
    after_control = _next_line_median(kb, case, ("letrozole",), then, 1.0)
    assert after_experimental == pytest.approx(after_control, rel=0.04)


@pytest.mark.parametrize("by_exposure", [True, False])
def test_a_regimen_after_a_class_takes_the_trial_that_enrolled_after_it(kb: KnowledgeBase, by_exposure: bool) -> None:
    """Abemaciclib + fulvestrant after a CDK4/6 inhibitor takes postMONARCH's PFS (CDK4/6-pretreated), not
    MONARCH 2's (CDK4/6-naive), when efficacy reads prior exposure; the exposure comes from the
    simulated first line, not from the template."""
    params = _quiet_params(efficacy_by_prior_exposure=by_exposure)
    policy = FixedPolicy((("palbociclib", "letrozole"), ("abemaciclib", "fulvestrant")))
    durations, events = (
        CourseModel(params=params, policy=policy, kb=kb)
        .simulate(from_case(case_with(), 20_000), years=30, seed=2)
        .line_pfs(2)
    )
    table = EfficacyTable.for_params(kb, params)
    regimen = frozenset({"abemaciclib", "fulvestrant"})
    after_cdk = table.lookup(regimen, "HR+/HER2-", 2, exposed=frozenset({"cdk4_6_inhibitor", "aromatase_inhibitor"}))
    assert after_cdk.sources == ("postmonarch",) if by_exposure else "monarch2" in after_cdk.sources
    assert survival.km_median(durations, events)[0] == pytest.approx(after_cdk.median_months, rel=0.05)


PEMBROLIZUMAB_FIRST = (("pembrolizumab", "paclitaxel"), ("capecitabine",), ("eribulin",))


def _checkpoint_course(
    kb: KnowledgeBase,
    tnbc_lines: tuple[tuple[str, ...], ...] = PEMBROLIZUMAB_FIRST,
    pd_l1_cps: float | None = 20,
    **switch: object,
) -> tuple[np.ndarray, np.ndarray]:
    """OS and first-line PFS of three groups of 2,500 under one seed: triple-negative (PD-L1 CPS
    ``pd_l1_cps``) on ``tnbc_lines``, triple-negative on paclitaxel alone, HR+/HER2- on ribociclib +
    letrozole."""
    tnbc = example_case("triple-negative-first-line")
    tnbc = tnbc.model_copy(update={"biomarkers": tnbc.biomarkers.model_copy(update={"pd_l1_cps": pd_l1_cps})})
    hr_positive = example_case("hr-positive-first-line")
    base = CourseParams.from_file()
    params = base.model_copy(
        update={"checkpoint_long_survivors": base.checkpoint_long_survivors.model_copy(update=switch)}
    )
    policies = (
        FixedPolicy(tnbc_lines),
        FixedPolicy((("paclitaxel",), ("capecitabine",), ("eribulin",))),
        FixedPolicy((("ribociclib", "letrozole"), ("fulvestrant",), ("capecitabine",))),
    )
    cohort = concatenate([from_case(tnbc, 2500), from_case(tnbc, 2500), from_case(hr_positive, 2500)])
    model = CourseModel(params=params, kb=kb, template_policies=tuple(enumerate(policies)))
    result = model.simulate(cohort, years=10, seed=7)
    lines = result.lines[result.lines["line"] == 1].sort_values("patient")
    return result.patients["os_months"].to_numpy(), lines["stop_months"].to_numpy() - lines["start_months"].to_numpy()


def test_checkpoint_long_survivors_change_only_triple_negative_patients_on_a_checkpoint_inhibitor(
    kb: KnowledgeBase,
) -> None:
    """Switch off, fraction 0 and hazard ratio 1 give the same courses to the last digit; switched on,
    only the triple-negative patients whose first line held a PD-1/PD-L1 inhibitor live longer, their
    first-line PFS stays the published one, and every other patient (triple-negative on chemotherapy
    alone, HR+/HER2-) keeps exactly the course she had."""
    off_os, off_pfs = _checkpoint_course(kb, enabled=False)
    for neutral in ({"enabled": True, "fraction": 0.0}, {"enabled": True, "hazard_ratio": 1.0}):
        os_months, pfs = _checkpoint_course(kb, **neutral)
        np.testing.assert_array_equal(os_months, off_os)
        np.testing.assert_array_equal(pfs, off_pfs)
    on_os, on_pfs = _checkpoint_course(kb, enabled=True, fraction=0.5, hazard_ratio=0.3)
    ici, others = slice(0, 2500), slice(2500, None)
    np.testing.assert_array_equal(on_os[others], off_os[others])
    np.testing.assert_array_equal(on_pfs, off_pfs)
    assert np.median(on_os[ici]) > 1.1 * np.median(off_os[ici])
    assert (on_os[ici] >= off_os[ici] - 1e-9).mean() > 0.99  # nobody's course is cut short but by chance


@pytest.mark.parametrize(
    ("tnbc_lines", "pd_l1_cps"),
    [
        (PEMBROLIZUMAB_FIRST, None),  # PD-L1 not measured
        (PEMBROLIZUMAB_FIRST, 5),  # below the CPS threshold
        ((("paclitaxel",), ("pembrolizumab",), ("eribulin",)), 20),  # positive, but the inhibitor comes second
    ],
)
def test_checkpoint_long_survivors_only_where_the_benefit_was_shown(
    kb: KnowledgeBase, tnbc_lines: tuple[tuple[str, ...], ...], pd_l1_cps: float | None
) -> None:
    """Outside the population of the cited trials (first line, PD-L1 positive) the switch changes nobody's
    course, while the same switch lengthens the courses of PD-L1-positive first-line patients (test above)."""
    on = {"enabled": True, "fraction": 0.5, "hazard_ratio": 0.3}
    off_os, off_pfs = _checkpoint_course(kb, tnbc_lines, pd_l1_cps, enabled=False)
    on_os, on_pfs = _checkpoint_course(kb, tnbc_lines, pd_l1_cps, **on)
    np.testing.assert_array_equal(on_os, off_os)
    np.testing.assert_array_equal(on_pfs, off_pfs)
    if tnbc_lines != PEMBROLIZUMAB_FIRST:  # without the line limit the same second-line patients would change
        unlimited_os, _ = _checkpoint_course(kb, tnbc_lines, pd_l1_cps, **on, max_line=None)
        assert np.median(unlimited_os[:2500]) > np.median(off_os[:2500])


@pytest.mark.parametrize("value", [{"fraction": 1.5}, {"fraction": -0.1}, {"hazard_ratio": 0.0}, {"hazard_ratio": 1.2}])
def test_checkpoint_long_survivors_refuses_values_outside_their_range(value: dict) -> None:
    with pytest.raises(ValidationError):
        CheckpointLongSurvivors.model_validate({"enabled": True, **value})
