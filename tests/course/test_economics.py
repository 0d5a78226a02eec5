"""Discounting closed forms, incremental analysis on hand-worked textbook cases, NMB, CEAC and EVPI."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from mbctwin.course import discount
from mbctwin.course.economics import Status, acceptability, evpi, frontier, incremental_analysis, optimal_by_draw
from mbctwin.course.evppi import evppi

RATE = 0.035


def test_one_unit_a_year_from_now_is_worth_one_over_one_plus_rate():
    assert discount.point(1.0, 12.0, RATE)[()] == pytest.approx(1 / 1.035)
    assert discount.point(100.0, 120.0, RATE)[()] == pytest.approx(100 / 1.035**10)


def test_flow_matches_numerical_integration():
    start, stop, rate = 7.0, 43.5, 2.0
    delta = math.log(1.035) / 12
    expected, _ = integrate.quad(lambda t: rate * math.exp(-delta * t), start, stop)
    assert discount.flow(rate, start, stop, RATE)[()] == pytest.approx(expected, rel=1e-10)


def test_a_year_of_full_health_discounts_to_the_closed_form():
    # (1 - (1 + r)^-1) / ln(1 + r): a QALY flow over the first year
    assert discount.flow(1 / 12, 0.0, 12.0, RATE)[()] == pytest.approx((1 - 1 / 1.035) / math.log(1.035))


def test_zero_rate_gives_undiscounted_amounts():
    assert discount.flow(3.0, 2.0, 10.0, 0.0)[()] == pytest.approx(24.0)
    assert discount.repeated(5.0, 0.0, 10.0, 0.0, 1.0, 0.0)[()] == pytest.approx(50.0)


@settings(max_examples=60, deadline=None)
@given(
    start=st.floats(0, 100),
    length=st.floats(0, 60),
    offset=st.floats(0, 2),
    period=st.floats(0.2, 3),
    rate=st.sampled_from([0.0, 0.015, 0.035, 0.05]),
)
def test_repeated_equals_the_sum_of_each_payment(start, length, offset, period, rate):
    stop = start + length
    assume(min(abs(stop - start - offset - k * period) for k in range(2000)) > 1e-6)  # not on a boundary
    times = [start + offset + k * period for k in range(2000) if start + offset + k * period < stop]
    expected = sum(discount.point(2.5, t, rate)[()] for t in times)
    assert discount.repeated(2.5, start, stop, offset, period, rate)[()] == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_discounting_is_vectorised_over_patients():
    start, stop = np.array([0.0, 12.0, 24.0]), np.array([12.0, 24.0, 24.0])
    values = discount.flow(1.0, start, stop, RATE)
    assert values.shape == (3,)
    assert values[0] > values[1] > values[2] == 0.0


def _statuses(costs, qalys):
    names = [chr(ord("A") + i) for i in range(len(costs))]
    return {r.name: (r.status, r.icer, r.compared_with) for r in incremental_analysis(names, costs, qalys)}


def test_dominance_and_extended_dominance_hand_worked():
    # Drummond et al. 2015 ch. 4 steps, worked by hand: D costs more than B for fewer QALYs (dominated);
    # C's ICER vs B (1000 / 0.5 = 2000) exceeds E's vs C (2000 / 1.5 = 1333): extendedly dominated.
    result = _statuses([1000, 2000, 3000, 2500, 5000], [1.0, 2.0, 2.5, 1.5, 4.0])
    assert result["A"] == (Status.reference, None, None)
    assert result["B"] == (Status.on_frontier, pytest.approx(1000.0), "A")
    assert result["C"][0] is Status.extendedly_dominated
    assert result["D"][0] is Status.dominated
    assert result["E"] == (Status.on_frontier, pytest.approx(1500.0), "B")


def test_extended_dominance_is_removed_until_icers_increase():
    # B then C both sit above the line from A to D: removing C reveals that B must go too.
    result = _statuses([0, 100, 300, 400], [0.0, 0.05, 0.2, 1.0])
    assert result["B"][0] is Status.extendedly_dominated
    assert result["C"][0] is Status.extendedly_dominated
    assert result["D"] == (Status.on_frontier, pytest.approx(400.0), "A")


def test_a_cheaper_and_better_strategy_dominates_even_the_first_listed():
    result = _statuses([500, 100], [1.0, 2.0])
    assert result["A"][0] is Status.dominated
    assert result["B"][0] is Status.reference


def test_icer_equals_increments_of_the_printed_figures():
    rows = incremental_analysis(["x", "y"], [12_345.6789, 45_678.9123], [2.3456, 3.1234])
    assert rows[1].icer == (45_678.9123 - 12_345.6789) / (3.1234 - 2.3456)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e5), st.floats(0, 10)), min_size=1, max_size=7, unique=True))
def test_the_frontier_strategy_of_highest_nmb_is_what_the_icers_recommend(points):
    costs, qalys = [p[0] for p in points], [p[1] for p in points]
    rows = incremental_analysis([str(i) for i in range(len(points))], costs, qalys)
    on = sorted((r for r in rows if r.status in (Status.reference, Status.on_frontier)), key=lambda r: r.costs)
    assert on[0].status is Status.reference
    assert on[0].icer is None
    icers = [r.icer for r in on[1:]]
    assert icers == sorted(icers)
    assert all(i is not None and i > 0 for i in icers)
    for threshold in (1e2, 1e4, 1e6):
        nmb = [threshold * q - c for c, q in zip(costs, qalys, strict=True)]
        best = max(nmb)
        chosen = [r for r in on if r.icer is None or r.icer <= threshold][-1]
        assert threshold * chosen.qalys - chosen.costs == pytest.approx(best, rel=1e-9, abs=1e-6)


def test_acceptability_shares_sum_to_one_and_frontier_picks_highest_expected_nmb():
    rng = np.random.default_rng(3)
    costs = np.column_stack([rng.normal(1000, 100, 500), rng.normal(21_000, 3000, 500)])
    qalys = np.column_stack([rng.normal(1.0, 0.1, 500), rng.normal(1.5, 0.2, 500)])
    thresholds = [0, 20_000, 40_000, 60_000, 1e6]
    shares = acceptability(costs, qalys, thresholds)
    assert shares.sum(axis=1) == pytest.approx(np.ones(len(thresholds)))
    assert shares[0, 0] == 1.0
    assert shares[-1, 1] > 0.95
    chosen, probability = frontier(costs, qalys, thresholds)
    assert list(chosen[[0, -1]]) == [0, 1]
    assert probability == pytest.approx(shares[np.arange(len(thresholds)), chosen])
    assert optimal_by_draw(costs, qalys, thresholds).shape == (len(thresholds), 500)


def test_evpi_of_two_normal_strategies_is_the_unit_normal_loss():
    # NB_B - NB_A ~ N(mu, sigma^2): EVPI = sigma * phi(mu / sigma) - |mu| * Phi(-|mu| / sigma)
    mu, sigma = 300.0, 1000.0
    difference = np.random.default_rng(7).normal(mu, sigma, 400_000)
    nb = np.column_stack([np.zeros_like(difference), difference])
    known = sigma * stats.norm.pdf(mu / sigma) - abs(mu) * stats.norm.cdf(-abs(mu) / sigma)
    assert evpi(nb) == pytest.approx(known, rel=0.01)


def test_evppi_of_the_only_uncertain_parameter_approaches_its_known_value_and_noise_gives_none():
    rng = np.random.default_rng(11)
    theta, noise = rng.standard_normal(1500), rng.standard_normal(1500)
    nb = np.column_stack([np.zeros(1500), theta + noise])
    oracle = np.maximum(theta, 0).mean() - max(theta.mean(), 0.0)  # EVPPI if g were known exactly
    assert evppi(nb, theta[:, None]) == pytest.approx(oracle, rel=0.1)
    assert evppi(nb, rng.standard_normal((1500, 1))) < 0.1 * oracle
    assert evppi(nb, theta[:, None]) <= evpi(nb)


def test_a_group_needs_enough_draws_for_its_unpenalised_spline_columns():
    rng = np.random.default_rng(3)
    nb = rng.standard_normal((10, 2))
    assert evppi(nb, rng.standard_normal((10, 3))) is None  # 10 draws < 2 + 3 x 3
    assert evppi(nb, rng.standard_normal((10, 2))) is not None
