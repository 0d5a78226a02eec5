"""MMP-2 and ECM updates: conservation, monotonicity, bounds, the closed-form mean, and in place = pure."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mbctwin.cascade.fields import (
    FieldScratch,
    advance_fields,
    count_mesenchymal,
    laplacian_zero_flux,
    step_fields,
    update_ecm,
    update_mmp2,
)
from mbctwin.cascade.state import Cells
from mbctwin.cascade.stats import expected_mean_mmp2
from tests.cascade._small import small


def test_laplacian_of_a_constant_is_zero_and_interior_matches_the_stencil() -> None:
    assert not laplacian_zero_flux(np.full((1, 5, 6), 3.0)).any()
    m = np.random.default_rng(0).random((1, 6, 7))
    stencil = m[0, :-2, 1:-1] + m[0, 2:, 1:-1] + m[0, 1:-1, :-2] + m[0, 1:-1, 2:] - 4 * m[0, 1:-1, 1:-1]
    np.testing.assert_allclose(laplacian_zero_flux(m)[0, 1:-1, 1:-1], stencil, rtol=1e-12)


def test_diffusion_conserves_the_plain_sum_without_decay_or_source() -> None:
    cfg = small(grid_size=21, mmp2_decay=0.0, mmp2_diffusion=0.006)
    m = np.random.default_rng(1).random((2, 21, 21))
    total = m.sum()
    for _ in range(500):
        m = update_mmp2(m, np.zeros_like(m, dtype=np.int64), cfg)
    np.testing.assert_allclose(m.sum(), total, rtol=1e-12)
    assert m.std() < 0.05  # it did diffuse


def test_mean_mmp2_follows_the_closed_formula() -> None:
    cfg = small()
    n_mes = np.zeros((1, 11, 11), dtype=np.int64)
    n_mes[0, 5, 5], n_mes[0, 0, 3] = 4, 2
    m = np.zeros((1, 11, 11))
    for _ in range(300):
        m = update_mmp2(m, n_mes, cfg)
    np.testing.assert_allclose(m.mean(), expected_mean_mmp2(300, 6, cfg), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_max=st.integers(0, 4), updated=st.booleans())
def test_ecm_never_increases_and_stays_in_unit_interval(seed: int, n_max: int, updated: bool) -> None:
    cfg = small(ecm_uses_updated_mmp2=updated)
    rng = np.random.default_rng(seed)
    w, m = rng.random((1, 11, 11)), np.zeros((1, 11, 11))
    for _ in range(20):
        n_mes = rng.integers(0, n_max + 1, size=w.shape)
        m_new, w_new = step_fields(m, w, n_mes, cfg)
        assert (w_new <= w).all()
        assert (w_new >= 0).all()
        m, w = m_new, w_new


def test_ecm_with_extreme_degradation_is_clipped_at_zero() -> None:
    cfg = small(ecm_degradation_mmp2=1e6)
    w = update_ecm(np.ones((1, 11, 11)), np.ones((1, 11, 11)), np.zeros((1, 11, 11)), cfg)
    assert (w == 0).all()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), updated=st.booleans(), grids=st.integers(1, 3))
def test_the_in_place_update_with_scratch_is_bit_identical_to_the_pure_step(
    seed: int, updated: bool, grids: int
) -> None:
    """A run's scratch covers all its grids; updating the first ``grids`` of them in place reuses it
    step after step and must give exactly what the pure functions give."""
    cfg = small(ecm_uses_updated_mmp2=updated)
    rng = np.random.default_rng(seed)
    m, w = rng.random((grids, 11, 11)), rng.random((grids, 11, 11))
    m_in_place, w_in_place = m.copy(), w.copy()
    scratch = FieldScratch((3, 11, 11))
    for _ in range(5):
        n_mes = rng.integers(0, 5, size=m.shape)
        m, w = step_fields(m, w, n_mes, cfg)
        advance_fields(m_in_place, w_in_place, n_mes.astype(float), cfg, scratch)
        assert np.array_equal(m_in_place, m)
        assert np.array_equal(w_in_place, w)


def test_mesenchymal_counts_cover_the_grids_from_the_first_one_given() -> None:
    cells = Cells.build(grid=[1, 1, 2, 1, 2], x=[0, 0, 3, 4, 5], y=[1, 1, 2, 4, 6], mesenchymal=[1, 1, 1, 0, 1])
    counts = count_mesenchymal(cells, 1, np.full((2, 11, 11), 7.0))
    expected = np.zeros((2, 11, 11))
    expected[0, 0, 1], expected[1, 3, 2], expected[1, 5, 6] = 2, 1, 1
    assert np.array_equal(counts, expected)
