"""Initial tumour, vessels, clusters, disaggregation, survival and extravasation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from mbctwin.cascade.config import CascadeConfig
from mbctwin.cascade.state import Cells, Vessels
from mbctwin.cascade.vasculature import (
    choose_destinations,
    disaggregate_and_survive,
    fill_points,
    initial_tumour,
    intravasate,
    nearest_points,
    place_cluster,
    place_vessels,
)
from tests.cascade._small import small

ALPHA = 1e-3  # fixed seeds: these p-values are fixed numbers, not flaky draws


def test_initial_tumour_is_the_97_point_disc_filled_to_capacity() -> None:
    cfg = CascadeConfig()
    cells = initial_tumour(cfg, np.random.default_rng(0))
    d2 = (cells.x - 100) ** 2 + (cells.y - 100) ** 2
    assert len(cells) == 388
    assert cells.mesenchymal.sum() == 233
    assert d2.max() == 29
    assert np.bincount(cells.flat(201)).max() == 4
    assert np.unique(cells.flat(201)).size == 97


def test_fill_points_respects_capacity_and_places_everyone() -> None:
    point = fill_points(10, 35, 4, np.random.default_rng(2))
    assert point.size == 35
    assert np.bincount(point).max() <= 4


def test_vessels_avoid_the_centre_and_the_border() -> None:
    cfg = CascadeConfig()
    v = place_vessels(cfg, np.random.default_rng(1))
    primary = v.grid == 0
    cx, cy = nearest_points(201, 200, np.random.default_rng(9))
    assert primary.sum() == 10
    assert v.ruptured.sum() == 2
    assert not v.ruptured[~primary].any()
    assert ((v.x[primary] - 100) ** 2 + (v.y[primary] - 100) ** 2).min() >= ((cx - 100) ** 2 + (cy - 100) ** 2).max()
    assert v.x.min() >= 2
    assert v.x.max() <= 198
    assert np.bincount(v.grid).tolist() == [10, 10, 10]


def _one_vessel(ruptured: bool) -> tuple[Vessels, np.ndarray, CascadeConfig]:
    cfg = small()
    v = Vessels(np.array([0], np.int8), np.array([5]), np.array([5]), np.array([ruptured]))
    return v, v.lookup(cfg), cfg


@pytest.mark.parametrize(
    ("ruptured", "mesenchymal", "enters"), [(True, False, True), (False, False, False), (False, True, True)]
)
def test_cluster_is_the_vessel_point_and_its_four_neighbours(ruptured: bool, mesenchymal: bool, enters: bool) -> None:
    v, lookup, cfg = _one_vessel(ruptured)
    xs = [4, 5, 6, 5, 5, 5, 6, 3]  # plus-shape, then (6,6) diagonal and (3,5) two away: not in the cluster
    ys = [5, 5, 5, 4, 6, 5, 6, 5]
    mes = [mesenchymal, True, False, True, False, True, True, True]
    cells = Cells.build(np.zeros(8), xs, ys, mes)
    tx, ty = cells.x.copy(), cells.y.copy()
    tx[0] = 5  # cell 0 at (4,5) draws the vessel point (5,5)
    result = intravasate(cells, tx, ty, v, lookup, cfg)
    if not enters:
        assert result.keep.all()
        assert result.vessel.size == 0
        return
    np.testing.assert_array_equal(result.keep, [False] * 6 + [True, True])
    assert (int(result.n_mesenchymal[0]), int(result.n_epithelial[0])) == (3 + mesenchymal, 3 - mesenchymal)


def test_secondary_grid_cells_never_intravasate() -> None:
    cfg = small()
    v = Vessels(np.array([1], np.int8), np.array([5]), np.array([5]), np.array([True]))
    cells = Cells.build([1], [4], [5], [True])
    result = intravasate(cells, np.array([5]), np.array([5]), v, v.lookup(cfg), cfg)
    assert result.keep.all()


def test_survival_of_single_cells_matches_p_s() -> None:
    cfg = CascadeConfig(survival_single=0.05)
    n = 20_000
    arrived = disaggregate_and_survive(np.ones(n, int), np.zeros(n, int), np.arange(n), cfg, np.random.default_rng(4))
    assert arrived.n_resulting == n
    assert binomtest(arrived.source_cluster.size, n, 0.05).pvalue > ALPHA


def test_detachment_and_cluster_survival_match_their_probabilities() -> None:
    cfg = CascadeConfig(survival_single=0.0, survival_cluster=0.3, detach_prob=0.5)
    n = 5_000  # pairs: no cell detaches with prob 1/4, one with 1/2 -> two singles, both with 1/4
    arrived = disaggregate_and_survive(np.full(n, 2), np.zeros(n, int), np.arange(n), cfg, np.random.default_rng(5))
    n_intact = n - (arrived.n_resulting - n)  # every detachment event adds one cluster (2 singles = 1 extra)
    assert binomtest(arrived.source_cluster.size, n_intact, 0.3).pvalue > ALPHA
    assert np.all(arrived.survivors_mesenchymal == 2)


def test_extravasation_chooses_grids_with_their_probabilities() -> None:
    cfg = CascadeConfig()
    v = place_vessels(cfg, np.random.default_rng(0))
    grid, vessel = choose_destinations(8_000, v, cfg, np.random.default_rng(6))
    assert binomtest(int((grid == 1).sum()), grid.size, 0.75).pvalue > ALPHA
    np.testing.assert_array_equal(v.grid[vessel], grid)
    assert np.unique(vessel[grid == 2]).size == 10


def test_placement_puts_mesenchymal_cells_first_and_counts_the_lost() -> None:
    cfg = small()
    v = Vessels(np.array([0, 1], np.int8), np.array([5, 5]), np.array([5, 5]), np.array([False, False]))
    occupancy = np.zeros(2 * 121, dtype=np.int64)
    occupancy[(121 + 4 * 11 + 5)] = 4  # neighbour (4,5) of grid 2 is full
    placed = place_cluster(3, 20, 1, v, occupancy, cfg)
    assert len(placed) == 12
    assert placed.mesenchymal.sum() == 3
    assert (placed.grid == 1).all()
    assert occupancy.max() == 4
    assert occupancy.sum() == 16
