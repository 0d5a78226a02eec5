"""Movement: probabilities against the formula, and capacity resolution against sequential updating."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mbctwin.cascade.movement import draw_directions, final_probabilities, raw_probabilities, resolve_moves
from mbctwin.cascade.state import Cells
from tests.cascade._small import small

CFG = small()


def _ramp_w() -> np.ndarray:
    """w = 0.1·x + 0.05·y² on one 11 x 11 grid, values in [0, 1] after scaling."""
    x, y = np.mgrid[0:11, 0:11]
    return ((0.05 * x + 0.004 * y**2) / 1.0)[None]


def test_probabilities_match_the_formula_on_a_hand_made_gradient() -> None:
    w = _ramp_w()
    cells = Cells.build([0, 0], [4, 4], [6, 6], [True, False])
    p = raw_probabilities(w, cells, CFG)
    lam = 40.0
    gx = w[0, 5, 6] - w[0, 3, 6]
    gy = w[0, 4, 7] - w[0, 4, 5]
    for row, d, phi in ((0, 1e-4, 5e-4), (1, 5e-5, 5e-4)):
        expected = lam * np.array([d - phi / 4 * gx, d + phi / 4 * gx, d - phi / 4 * gy, d + phi / 4 * gy])
        np.testing.assert_allclose(p[row, 1:], expected, rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


def test_uniform_ecm_gives_the_documented_move_probabilities() -> None:
    p = raw_probabilities(np.ones((1, 11, 11)), Cells.build([0, 0], [5, 5], [5, 5], [True, False]), CFG)
    np.testing.assert_allclose(1 - p[:, 0], [0.016, 0.008], rtol=1e-12)


def test_borders_get_zero_off_grid_and_drop_the_gradient() -> None:
    cells = Cells.build([0, 0], [0, 10], [0, 10], [True, True])
    p = raw_probabilities(_ramp_w(), cells, CFG)
    assert p[0, 1] == 0
    assert p[0, 3] == 0
    assert p[1, 2] == 0
    assert p[1, 4] == 0
    np.testing.assert_allclose([p[0, 2], p[0, 4], p[1, 1], p[1, 3]], 40 * 1e-4, rtol=1e-12)


def test_clip_mode_gives_nonnegative_rows_summing_to_one() -> None:
    w = np.ones((1, 11, 11))
    w[0, 6, :] = 0.0  # steep edge: haptotaxis term larger than diffusion
    cells = Cells.build([0], [5], [5], [True])
    raw = raw_probabilities(w, cells, CFG)
    assert raw[0, 2] < 0
    p = final_probabilities(raw, "clip")
    assert (p >= 0).all()
    assert p[0, 2] == 0
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_array_equal(final_probabilities(raw, "metaspread"), raw)


def test_draw_directions_follows_the_probabilities() -> None:
    p = np.array([[0.5, 0.1, 0.2, 0.1, 0.1]])
    u = np.array([0.0, 0.49, 0.55, 0.65, 0.85, 0.95])
    np.testing.assert_array_equal(draw_directions(np.repeat(p, 6, axis=0), u), [0, 0, 1, 2, 3, 4])


def _sequential(origin, target, rank, occupancy, capacity) -> np.ndarray:
    """The reference: move cells one by one in rank order."""
    occ = occupancy.copy()
    ok = np.zeros(origin.size, dtype=bool)
    for k in np.argsort(rank):
        if occ[target[k]] < capacity:
            occ[target[k]] += 1
            occ[origin[k]] -= 1
            ok[k] = True
    return ok


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_points=st.integers(2, 6), capacity=st.integers(1, 4))
def test_random_priority_resolution_equals_sequential_updating(seed: int, n_points: int, capacity: int) -> None:
    rng = np.random.default_rng(seed)
    occupancy = rng.integers(0, capacity + 1, size=n_points)
    origin = np.repeat(np.arange(n_points), occupancy)
    origin = origin[rng.random(origin.size) < 0.7]
    target = (origin + rng.integers(1, n_points, size=origin.size)) % n_points
    rank = rng.permutation(origin.size)
    ok = resolve_moves(origin.astype(np.int64), target.astype(np.int64), rank, occupancy, capacity)
    np.testing.assert_array_equal(ok, _sequential(origin, target, rank, occupancy, capacity))


@pytest.mark.parametrize("capacity", [1, 4])
def test_capacity_never_exceeded_after_resolution(capacity: int) -> None:
    rng = np.random.default_rng(3)
    occupancy = rng.integers(0, capacity + 1, size=50)
    origin = np.repeat(np.arange(50), occupancy)
    target = np.clip(origin + rng.choice([-1, 1], size=origin.size), 0, 49)
    moving = target != origin
    origin, target = origin[moving], target[moving]
    ok = resolve_moves(origin, target, rng.permutation(origin.size), occupancy, capacity)
    final = occupancy + np.bincount(target[ok], minlength=50) - np.bincount(origin[ok], minlength=50)
    assert final.max() <= capacity
    assert final.min() >= 0


def _choices_reference(p_row: np.ndarray, u: float) -> int:
    """Python's random.choices on MetaSpread's candidate order, for one row."""
    import bisect
    from itertools import accumulate

    order = [1, 3, 0, 4, 2]
    cum = list(accumulate(p_row[order]))
    return order[bisect.bisect(cum, u * cum[-1], 0, 4)]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_metaspread_mode_draws_as_random_choices_even_with_negative_weights(seed: int) -> None:
    rng = np.random.default_rng(seed)
    moves = rng.uniform(-0.01, 0.02, size=(200, 4))
    p = np.column_stack((1 - moves.sum(axis=1), moves))
    u = rng.random(200)
    expected = [_choices_reference(p[i], u[i]) for i in range(200)]
    np.testing.assert_array_equal(draw_directions(p, u, "metaspread"), expected)
