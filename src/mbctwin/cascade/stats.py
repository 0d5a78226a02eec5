"""Statistics of a saved step, with the key names of ``shared/spec/cascade-reference.json``.

Grid 1 (index 0) is ``primary_…``, grid k ≥ 2 is ``gridk_…``; distances are in grid points from
the grid centre ((W-1)/2, (H-1)/2). Every value is a plain ``int`` or ``float``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mbctwin.cascade.config import CascadeConfig
from mbctwin.cascade.movement import raw_probabilities
from mbctwin.cascade.state import Snapshot


def grid_prefix(grid: int) -> str:
    """``primary`` for grid index 0, ``grid2`` for index 1, …"""
    return "primary" if grid == 0 else f"grid{grid + 1}"


def _distance_stats(dist: np.ndarray, mes: np.ndarray) -> dict[str, float]:
    def mean(a: np.ndarray) -> float:
        return round(float(a.mean()), 6) if a.size else 0.0

    return {
        "mean_dist_centre": mean(dist),
        "max_dist_centre": round(float(dist.max()), 6) if dist.size else 0.0,
        "mesenchymal_mean_dist_centre": mean(dist[mes]),
        "epithelial_mean_dist_centre": mean(dist[~mes]),
    }


def primary_stats(snap: Snapshot, cfg: CascadeConfig) -> dict[str, Any]:
    """Cells, spread, fields and cells facing a negative movement probability on grid 1."""
    cells = snap.cells.take(snap.cells.grid == 0)
    centre = (cfg.grid_size - 1) / 2
    dist = np.hypot(cells.x - centre, cells.y - centre)
    m, w = snap.m[0], snap.w[0]
    negative = (raw_probabilities(snap.w, cells, cfg)[:, 1:] < 0).any(axis=1)
    out: dict[str, Any] = {
        "occupied_points": int(np.unique(cells.flat(cfg.grid_size)).size),
        **_distance_stats(dist, cells.mesenchymal),
        "mean_mmp2": float(m.mean()),
        "max_mmp2": float(m.max()),
        "mean_ecm": float(w.mean()),
        "min_ecm": float(w.min()),
        "points_ecm_below_0.5": int((w < 0.5).sum()),
        "cells_with_negative_move_prob": int(negative.sum()),
    }
    return {f"primary_{k}": v for k, v in out.items()}


def snapshot_stats(snap: Snapshot, cfg: CascadeConfig) -> dict[str, Any]:
    """One record: every statistic of the spec for this saved step."""
    record: dict[str, Any] = {"step": snap.step}
    n_mes = np.bincount(snap.cells.grid[snap.cells.mesenchymal], minlength=cfg.grids)
    n_all = np.bincount(snap.cells.grid, minlength=cfg.grids)
    for g in range(cfg.grids):
        p = grid_prefix(g)
        record[f"{p}_n_mesenchymal"] = int(n_mes[g])
        record[f"{p}_n_epithelial"] = int(n_all[g] - n_mes[g])
        record[f"{p}_n_total"] = int(n_all[g])
        record[f"{p}_first_populated_step"] = int(snap.first_populated[g])
        if g > 0:
            record[f"{p}_mean_mmp2"] = float(snap.m[g].mean())
            record[f"{p}_mean_ecm"] = float(snap.w[g].mean())
    record.update(primary_stats(snap, cfg))
    record["vasc_clusters_in_circulation"] = snap.clusters_in_circulation
    record["vasc_cells_in_circulation"] = snap.cells_in_circulation
    record.update({k: int(v) for k, v in snap.counters.items()})
    return record


def expected_mean_mmp2(step: int, n_mesenchymal: int, cfg: CascadeConfig) -> float:
    r"""Mean MMP-2 while no cell divides: :math:`\Theta\Delta t N_M/(WH)\,(1-(1-\Delta t\Lambda)^t)/(\Delta t\Lambda)`.

    Zero-flux boundaries conserve the sum, so only production and decay change it.
    """
    decay = cfg.dt * cfg.mmp2_decay
    per_step = cfg.mmp2_production * cfg.dt * n_mesenchymal / cfg.grid_size**2
    if decay == 0:
        return per_step * step
    return per_step * (1 - (1 - decay) ** step) / decay
