"""Shared frailty: population medians and hazard ratios stay the published ones; lines correlate."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from mbctwin.case.io import example_case
from mbctwin.course import survival
from mbctwin.course.cohort import from_case
from mbctwin.course.efficacy import weibull_scale
from mbctwin.course.frailty import cox_limit, population_survival, shape_for_hazard_ratio
from mbctwin.course.model import CourseModel
from mbctwin.course.params import CourseParams, course_file_text
from mbctwin.course.policy import FixedPolicy
from mbctwin.errors import CourseParamsError
from mbctwin.knowledge.loader import KnowledgeBase

medians = st.floats(1.0, 60.0)
shapes = st.floats(0.6, 3.0)
thetas = st.floats(0.0, 2.0)


@settings(max_examples=50, deadline=None)
@given(median=medians, shape=shapes, theta=thetas)
def test_population_median_is_the_given_median(median: float, shape: float, theta: float) -> None:
    assert population_survival(np.array([median]), median, shape, theta)[0] == pytest.approx(0.5)


@settings(max_examples=25, deadline=None)
@given(experimental=medians, ratio=st.floats(1.05, 4.0), shape=shapes)
def test_without_frailty_the_cox_limit_is_the_proportional_hazards_ratio(
    experimental: float, ratio: float, shape: float
) -> None:
    control = experimental / ratio
    assert cox_limit((experimental, control), shape, 0.0) == pytest.approx(ratio**-shape, rel=1e-3)


def test_frailty_needs_a_steeper_per_patient_shape_for_the_same_hazard_ratio() -> None:
    """Population curves of a mixture are flatter than each patient's: CLEOPATRA 18.5 vs 12.4, HR 0.62."""
    without = shape_for_hazard_ratio((18.5, 12.4), 0.62, 0.0, (0.3, 4.0))
    assert without == pytest.approx(math.log(0.62) / math.log(12.4 / 18.5), rel=1e-3)
    assert shape_for_hazard_ratio((18.5, 12.4), 0.62, 0.5, (0.3, 4.0)) > without + 0.3
    assert shape_for_hazard_ratio((18.5, 12.4), 0.62, 0.5, (0.3, 1.0)) == 1.0  # unreachable: the nearer bound


def test_sampled_arms_reproduce_published_medians_and_cox_hazard_ratio() -> None:
    """Draw both arms as the model does (gamma frailty x Weibull); lifelines' Cox fit and KM medians
    land on the trial's figures."""
    theta, medians_, hr = 0.5, (18.5, 12.4), 0.62
    shape = shape_for_hazard_ratio(medians_, hr, theta, (0.3, 4.0))
    rng = np.random.default_rng(5)
    n = 20_000
    times = []
    for median in medians_:
        frailty = rng.gamma(1 / theta, theta, n)
        times.append(weibull_scale(median, shape, theta) * (rng.exponential(size=n) / frailty) ** (1 / shape))
    for t, median in zip(times, medians_, strict=True):
        assert survival.km_median(t, np.ones(n, dtype=bool))[0] == pytest.approx(median, rel=0.03)
    durations = np.concatenate(times)
    end = np.quantile(times[1], 0.95)  # followed as in frailty.cox_limit
    events = durations <= end
    experimental = np.repeat([True, False], n)
    estimate = survival.cox_hazard_ratio(np.minimum(durations, end), events, experimental)[0]
    assert estimate == pytest.approx(hr, abs=0.02)


def _line_durations(theta: float, kb: KnowledgeBase) -> tuple[np.ndarray, np.ndarray]:
    params = CourseParams.from_file().model_copy(update={"frailty_variance": theta})
    policy = FixedPolicy((("letrozole", "ribociclib"), ("fulvestrant",), ("capecitabine",)))
    result = CourseModel(params=params, policy=policy, kb=kb).simulate(
        from_case(example_case("hr-positive-first-line"), 6000), years=40, seed=2
    )
    lines = result.lines
    first, second = (lines[lines["line"] == k].set_index("patient") for k in (1, 2))
    both = first.index.intersection(second.index[second["event"] == "progression"])
    duration = [(f.loc[both, "stop_months"] - f.loc[both, "start_months"]).to_numpy() for f in (first, second)]
    return duration[0], duration[1]


def test_a_patients_successive_lines_correlate_only_with_frailty(kb: KnowledgeBase) -> None:
    """ESME 2019: the previous line's PFS is the main prognostic factor of the next one's."""
    independent = spearmanr(*_line_durations(0.0, kb)).statistic
    shared = spearmanr(*_line_durations(0.5, kb)).statistic
    assert abs(independent) < 0.05
    assert shared > 0.15


@pytest.mark.parametrize("name", ["frailty_variance", "benefit_carryover"])
def test_a_structure_file_without_a_later_parameter_loads_without_it_and_a_negative_value_is_refused(
    tmp_path: Path, name: str
) -> None:
    """Parameters added after the first release default to "off" (0) so that users' older files load."""
    raw = yaml.safe_load(course_file_text("structure.yaml"))
    assert raw[name]["value"] > 0
    older = tmp_path / "older.yaml"
    older.write_text(yaml.safe_dump({k: v for k, v in raw.items() if k != name}))
    assert getattr(CourseParams.from_file(older), name) == 0.0
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(yaml.safe_dump({**raw, name: {"value": -0.1}}))
    with pytest.raises(CourseParamsError, match=name):
        CourseParams.from_file(wrong)
