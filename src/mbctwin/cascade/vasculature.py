"""Vessels, the initial tumour, intravasation, circulation and extravasation.

Franssen et al. (2019), the vascular part of the model (intravasation, travel, extravasation) and
the initial conditions of its simulations; section and equation numbers not checked here.
Loops here run over vessels or surviving clusters (a handful per step), never over grid points
or cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mbctwin.cascade.config import CascadeConfig
from mbctwin.cascade.state import Cells, Vessels

PLUS_X = np.array([0, -1, 1, 0, 0], dtype=np.int32)
PLUS_Y = np.array([0, 0, 0, -1, 1], dtype=np.int32)


def nearest_points(size: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` points nearest the centre, ties on the last ring broken at random.

    For n = 97 this is the whole lattice disc x² + y² ≤ 29; for n = 200 it is the disc
    x² + y² ≤ 64 (197 points) plus 3 random points of the next ring, as MetaSpread builds it.
    """
    c = (size - 1) / 2
    x, y = np.divmod(np.arange(size * size), size)
    d2 = (x - c) ** 2 + (y - c) ** 2
    order = np.lexsort((rng.random(d2.size), d2))[:n]
    return x[order].astype(np.int32), y[order].astype(np.int32)


def initial_tumour(cfg: CascadeConfig, rng: np.random.Generator) -> Cells:
    """Fill the central disc: mesenchymal cells first, each on a point drawn uniformly among those with room.

    Uniform over *points* with room (not over free slots) is MetaSpread's placement; it leaves
    mesenchymal cells more clumped than a random shuffle would, which raises the MMP-2 peaks.
    """
    x, y = nearest_points(cfg.grid_size, cfg.initial_points, rng)
    point = fill_points(x.size, cfg.initial_cells, cfg.carrying_capacity, rng)
    n_mes = round(cfg.mesenchymal_fraction * cfg.initial_cells)
    return Cells.build(np.zeros(point.size), x[point], y[point], np.arange(point.size) < n_mes)


def fill_points(n_points: int, n_cells: int, capacity: int, rng: np.random.Generator) -> np.ndarray:
    """Point of each of ``n_cells`` placed one after another, uniformly among points with room.

    Rejection sampling in batches: draws are uniform over all points, and a draw is accepted
    when its point, counting earlier accepted draws, still has room; accepted draws in order
    have exactly the sequential law. Loops run over batches, not cells.
    """
    count = np.zeros(n_points, dtype=np.int64)
    placed: list[np.ndarray] = []
    remaining = n_cells
    while remaining > 0:
        draw = rng.integers(n_points, size=2 * remaining + capacity * n_points)
        order = np.argsort(draw, kind="stable")
        first = np.searchsorted(draw[order], draw[order], side="left")
        rank = np.empty(draw.size, dtype=np.int64)
        rank[order] = np.arange(draw.size) - first
        accepted = draw[count[draw] + rank < capacity][:remaining]
        np.add.at(count, accepted, 1)
        placed.append(accepted)
        remaining -= accepted.size
    return np.concatenate(placed) if placed else np.zeros(0, dtype=np.int64)


def _allowed_points(cfg: CascadeConfig, excluded: int, rng: np.random.Generator) -> np.ndarray:
    """Flat (x*H + y) points away from the border strip and the ``excluded`` central points."""
    size, strip = cfg.grid_size, cfg.border_strip
    x, y = np.divmod(np.arange(size * size), size)
    ok = (x >= strip) & (x < size - strip) & (y >= strip) & (y < size - strip)
    cx, cy = nearest_points(size, excluded, rng)
    ok[cx * size + cy] = False
    return np.flatnonzero(ok)


def place_vessels(cfg: CascadeConfig, rng: np.random.Generator) -> Vessels:
    """Primary: normal then ruptured vessels outside the centre; secondary grids: anywhere off the border."""
    counts = [cfg.normal_vessels_primary + cfg.ruptured_vessels_primary, *cfg.vessels_secondary]
    grid, flat = [], []
    for g, n in enumerate(counts):
        allowed = _allowed_points(cfg, cfg.vessel_exclusion_points if g == 0 else 0, rng)
        flat.append(rng.choice(allowed, size=n, replace=False))
        grid.append(np.full(n, g))
    x, y = np.divmod(np.concatenate(flat), cfg.grid_size)
    ruptured = np.zeros(x.size, dtype=bool)
    ruptured[cfg.normal_vessels_primary : counts[0]] = True
    return Vessels(np.concatenate(grid).astype(np.int8), x.astype(np.int32), y.astype(np.int32), ruptured)


@dataclass(frozen=True)
class Intravasation:
    """Result of one step's intravasation: cells that stay and one cluster per entered vessel."""

    keep: np.ndarray  # bool (n_cells,)
    vessel: np.ndarray  # int (n_clusters,)
    n_mesenchymal: np.ndarray
    n_epithelial: np.ndarray


def intravasate(
    cells: Cells, tx: np.ndarray, ty: np.ndarray, vessels: Vessels, vessel_at: np.ndarray, cfg: CascadeConfig
) -> Intravasation:
    """Clusters entering the blood this step (primary grid only).

    A cell that draws a move to a point (tx, ty) holding a vessel triggers it if the vessel is ruptured or
    the cell is mesenchymal. Each triggered vessel takes every cell on its point and its 4
    neighbours as one cluster; a cell near two triggered vessels joins the lower vessel id.
    """
    size = cfg.grid_size
    on_primary = cells.grid == 0
    moving = on_primary & ((tx != cells.x) | (ty != cells.y))
    hit = np.where(moving, vessel_at[(tx.astype(np.int64)) * size + ty], -1)
    trigger = (hit >= 0) & (vessels.ruptured[np.maximum(hit, 0)] | cells.mesenchymal)
    entered = np.unique(hit[trigger])
    if entered.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Intravasation(np.ones(len(cells), dtype=bool), empty, empty, empty)
    owner = np.full(size * size, np.iinfo(np.int64).max, dtype=np.int64)
    px = (vessels.x[entered][:, None] + PLUS_X).ravel()
    py = (vessels.y[entered][:, None] + PLUS_Y).ravel()
    np.minimum.at(owner, px * size + py, np.repeat(np.arange(entered.size), 5))
    cell_owner = np.where(on_primary, owner[cells.x.astype(np.int64) * size + cells.y], np.iinfo(np.int64).max)
    taken = cell_owner < entered.size
    label = cell_owner[taken]
    n_mes = np.bincount(label, weights=cells.mesenchymal[taken], minlength=entered.size).astype(np.int64)
    n_all = np.bincount(label, minlength=entered.size)
    return Intravasation(~taken, entered, n_mes, n_all - n_mes)


@dataclass(frozen=True)
class Arrival:
    """Clusters leaving the blood this step, after disaggregation and survival."""

    n_resulting: int  # clusters after disaggregation
    survivors_mesenchymal: np.ndarray  # int (n_survivors,)
    survivors_epithelial: np.ndarray
    source_cluster: np.ndarray  # cluster id each survivor came from


def disaggregate_and_survive(
    n_mes: np.ndarray, n_epi: np.ndarray, cluster_id: np.ndarray, cfg: CascadeConfig, rng: np.random.Generator
) -> Arrival:
    """Each cell of a multi-cell cluster detaches with ``detach_prob``; each resulting cluster survives.

    Single cells survive with P_s, clusters of ≥ 2 with P_C (Franssen et al. 2019; MetaSpread defaults).
    """
    size = n_mes + n_epi
    parent = np.repeat(np.arange(size.size), size)
    mes = np.arange(parent.size) - np.repeat(np.cumsum(size) - size, size) < np.repeat(n_mes, size)
    detached = (rng.random(parent.size) < cfg.detach_prob) & (size[parent] >= 2)
    rest_mes = np.bincount(parent[~detached], weights=mes[~detached], minlength=size.size).astype(np.int64)
    rest_all = np.bincount(parent[~detached], minlength=size.size)
    keep_rest = rest_all > 0
    res_mes = np.concatenate((mes[detached].astype(np.int64), rest_mes[keep_rest]))
    res_all = np.concatenate((np.ones(int(detached.sum()), dtype=np.int64), rest_all[keep_rest]))
    res_parent = np.concatenate((parent[detached], np.flatnonzero(keep_rest)))
    p_survive = np.where(res_all >= 2, cfg.survival_cluster, cfg.survival_single)
    alive = rng.random(res_all.size) < p_survive
    return Arrival(int(res_all.size), res_mes[alive], (res_all - res_mes)[alive], cluster_id[res_parent[alive]])


def choose_destinations(
    n: int, vessels: Vessels, cfg: CascadeConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A secondary grid by ``extravasation_probs``, then one of its vessels uniformly; returns (grid, vessel id)."""
    grid = 1 + rng.choice(cfg.grids - 1, size=n, p=np.asarray(cfg.extravasation_probs))
    counts = np.asarray(cfg.vessels_secondary)
    first = np.concatenate(([cfg.normal_vessels_primary + cfg.ruptured_vessels_primary], counts[:-1])).cumsum()
    pick = np.floor(rng.random(n) * counts[grid - 1]).astype(np.int64)
    return grid, first[grid - 1] + pick


def place_cluster(
    n_mes: int, n_epi: int, vessel: int, vessels: Vessels, occupancy: np.ndarray, cfg: CascadeConfig
) -> Cells:
    """Put a surviving cluster on the free room of its vessel's 4 neighbours, mesenchymal cells first.

    Neighbours are filled in MetaSpread's fixed order (left, right, down, up); cells beyond the
    free room are lost (the caller counts them). ``occupancy`` (flat, all grids) is updated in place.
    """
    size = cfg.grid_size
    nx = vessels.x[vessel] + PLUS_X[1:]
    ny = vessels.y[vessel] + PLUS_Y[1:]
    order = np.flatnonzero((nx >= 0) & (nx < size) & (ny >= 0) & (ny < size))
    flat = (int(vessels.grid[vessel]) * size + nx[order].astype(np.int64)) * size + ny[order]
    room = np.maximum(cfg.carrying_capacity - occupancy[flat], 0)
    n_placed = min(int(room.sum()), n_mes + n_epi)
    slot = np.searchsorted(np.cumsum(room), np.arange(n_placed), side="right")
    np.add.at(occupancy, flat[slot], 1)
    return Cells.build(
        np.full(n_placed, vessels.grid[vessel]), nx[order][slot], ny[order][slot], np.arange(n_placed) < n_mes
    )
