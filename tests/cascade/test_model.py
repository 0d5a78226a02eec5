"""Whole runs: determinism, conservation, capacity, and the cascade happening on a small grid."""

from __future__ import annotations

import numpy as np
import pytest

from mbctwin.cascade.config import CascadeConfig
from mbctwin.cascade.fields import step_fields
from mbctwin.cascade.model import CascadeModel, CascadeResult, update_fields
from mbctwin.cascade.state import Snapshot

FAST = CascadeConfig(
    grid_size=21,
    initial_points=21,
    initial_cells=84,
    vessel_exclusion_points=30,
    diffusion_mesenchymal=2e-3,
    diffusion_epithelial=1e-3,
    survival_single=1.0,
    survival_cluster=1.0,
    circulation_time=5,
    doubling_time_mesenchymal=100,
    doubling_time_epithelial=150,
)


def _run(cfg: CascadeConfig, steps: int, seed: int, frames: list[Snapshot] | None = None) -> CascadeResult:
    return CascadeModel(cfg).run(steps, seed=seed, save_every=50, on_save=None if frames is None else frames.append)


def _same(a: Snapshot, b: Snapshot) -> bool:
    cells = all(np.array_equal(x, y) for x, y in zip(a.cells.columns(), b.cells.columns(), strict=True))
    return cells and np.array_equal(a.m, b.m) and np.array_equal(a.w, b.w)


def test_same_seed_gives_identical_arrays_and_different_seeds_differ() -> None:
    first, again, other = _run(FAST, 200, 11), _run(FAST, 200, 11), _run(FAST, 200, 12)
    assert _same(first.final, again.final)
    assert first.records == again.records
    assert first.events == again.events
    assert not _same(first.final, other.final)


def test_the_cascade_happens_and_every_cell_is_accounted_for() -> None:
    cfg = FAST.model_copy(
        update={"doubling_time_mesenchymal": 10**6, "doubling_time_epithelial": 10**6, "survival_cluster": 0.5}
    )
    result = _run(cfg, 300, 2)
    last = result.records[-1]
    on_grids = sum(last[f"{p}_n_total"] for p in ("primary", "grid2", "grid3"))
    assert last["cum_intravasation_events"] > 0
    assert last["cum_surviving_clusters"] > 0
    assert last["grid2_first_populated_step"] > 0
    unaccounted = 84 - on_grids - last["vasc_cells_in_circulation"] - last["cum_circulation_deaths"]
    assert unaccounted == last["cum_lost_cells"]
    kinds = {e["kind"] for e in result.events}
    assert kinds == {"intravasation", "arrival", "survivor", "colonisation"}


def test_capacity_is_never_exceeded_during_growth_and_movement() -> None:
    frames: list[Snapshot] = []
    _run(FAST, 400, 3, frames)
    for snap in frames:
        assert np.bincount(snap.cells.flat(21)).max() <= FAST.carrying_capacity


def test_division_happens_at_the_doubling_times_only() -> None:
    cfg = FAST.model_copy(update={"survival_single": 0.0, "survival_cluster": 0.0})
    result = CascadeModel(cfg).run(150, seed=4, save_every=1)
    total = result.series("primary_n_total") + result.series("cum_intravasated_cells")
    growth = np.flatnonzero(np.diff(total) > 0) + 2  # step numbers where the total grew
    assert set(growth.tolist()) <= {101, 151}
    assert 101 in growth


def test_run_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="save_every"):
        CascadeModel(FAST).run(10, seed=1, save_every=0)


def test_fields_of_active_grids_that_are_not_adjacent_update_as_each_grid_alone() -> None:
    """Grids 1 and 3 active, grid 2 not: the fields phase takes the copy path, and must leave grid 2
    untouched and give grids 1 and 3 what the pure step gives each of them."""
    model = CascadeModel(FAST)
    run = model.start(5)
    run.state.active[2] = True
    run.state.m[2] = np.random.default_rng(0).random((21, 21))
    before_m, before_w = run.state.m.copy(), run.state.w.copy()
    n_mes = np.bincount(run.state.cells.take(run.state.cells.mesenchymal).flat(21), minlength=3 * 21 * 21)
    n_mes = n_mes.reshape(3, 21, 21)
    update_fields(run)
    for g in (0, 2):
        m, w = step_fields(before_m[g : g + 1], before_w[g : g + 1], n_mes[g : g + 1], FAST)
        assert np.array_equal(run.state.m[g : g + 1], m)
        assert np.array_equal(run.state.w[g : g + 1], w)
    assert np.array_equal(run.state.m[1], before_m[1])
    assert np.array_equal(run.state.w[1], before_w[1])


def test_occupancy_counts_every_cell_on_its_point_each_time_it_is_asked() -> None:
    model = CascadeModel(FAST)
    run = model.start(6)
    for _ in range(30):
        model.step(run)
        expected = np.bincount(run.state.cells.flat(21), minlength=3 * 21 * 21)
        assert np.array_equal(run.occupancy(), expected)
