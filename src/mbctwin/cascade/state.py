"""State of a cascade simulation as a structure of arrays.

Cells are agents on lattice points, stored column-wise so every phase updates them in bulk;
fields are ``(n_grids, W, H)`` arrays. Flat point index: ``(grid * W + x) * H + y``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from mbctwin.cascade.config import CascadeConfig


@dataclass(frozen=True)
class Cells:
    """All cells of all grids.

    Attributes
    ----------
    grid : int8 (n,)       0 = primary, 1.. = secondary grids
    x, y : int32 (n,)      lattice coordinates
    mesenchymal : bool (n,) phenotype: True = mesenchymal (M), False = epithelial (E)
    traits : uint8 (n,)    bit flags of the extensions (:mod:`mbctwin.cascade.extensions`): ER, HER2,
                           resistant, assigned; all 0 in the core model, which never reads them
    """

    grid: np.ndarray
    x: np.ndarray
    y: np.ndarray
    mesenchymal: np.ndarray
    traits: np.ndarray

    @classmethod
    def empty(cls) -> Cells:
        return cls.build([], [], [], [])

    @classmethod
    def build(cls, grid: npt.ArrayLike, x: npt.ArrayLike, y: npt.ArrayLike, mesenchymal: npt.ArrayLike) -> Cells:
        """Cells from columns, with no trait flags set."""
        grid_column = np.asarray(grid, dtype=np.int8)
        return cls(
            grid_column,
            np.asarray(x, dtype=np.int32),
            np.asarray(y, dtype=np.int32),
            np.asarray(mesenchymal, dtype=bool),
            np.zeros(grid_column.size, dtype=np.uint8),
        )

    def __len__(self) -> int:
        return int(self.grid.size)

    def take(self, index: np.ndarray) -> Cells:
        """Cells selected by a boolean mask or an index array."""
        return Cells(self.grid[index], self.x[index], self.y[index], self.mesenchymal[index], self.traits[index])

    def concat(self, other: Cells) -> Cells:
        grid, x, y, mesenchymal = (np.concatenate((a, b)) for a, b in zip(self.columns(), other.columns(), strict=True))
        return Cells(grid, x, y, mesenchymal, np.concatenate((self.traits, other.traits)))

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.grid, self.x, self.y, self.mesenchymal

    def flat(self, size: int) -> np.ndarray:
        """Flat point index of each cell on ``size x size`` grids."""
        return (self.grid.astype(np.int64) * size + self.x) * size + self.y


@dataclass(frozen=True)
class Vessels:
    """Vessel points: ``grid`` int8, ``x``, ``y`` int32, ``ruptured`` bool, shape (n_vessels,)."""

    grid: np.ndarray
    x: np.ndarray
    y: np.ndarray
    ruptured: np.ndarray

    def lookup(self, cfg: CascadeConfig) -> np.ndarray:
        """Vessel id at each flat point, -1 where there is none; int32 (n_grids·W·H,)."""
        table = np.full(cfg.grids * cfg.grid_size**2, -1, dtype=np.int32)
        flat = (self.grid.astype(np.int64) * cfg.grid_size + self.x) * cfg.grid_size + self.y
        table[flat] = np.arange(flat.size, dtype=np.int32)
        return table


@dataclass
class Circulation:
    """Clusters in the blood: arrival step, cells of each phenotype and an id, int64 (n_clusters,)."""

    arrival: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    n_mesenchymal: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    n_epithelial: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cluster_id: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def add(self, arrival: int, n_mesenchymal: np.ndarray, n_epithelial: np.ndarray, first_id: int) -> None:
        n = n_mesenchymal.size
        self.arrival = np.concatenate((self.arrival, np.full(n, arrival, dtype=np.int64)))
        self.n_mesenchymal = np.concatenate((self.n_mesenchymal, n_mesenchymal.astype(np.int64)))
        self.n_epithelial = np.concatenate((self.n_epithelial, n_epithelial.astype(np.int64)))
        self.cluster_id = np.concatenate((self.cluster_id, first_id + np.arange(n, dtype=np.int64)))

    def pop(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Remove and return ``(n_mesenchymal, n_epithelial, cluster_id)`` of clusters arriving now."""
        due = self.arrival == step
        out = self.n_mesenchymal[due], self.n_epithelial[due], self.cluster_id[due]
        keep = ~due
        self.arrival, self.n_mesenchymal = self.arrival[keep], self.n_mesenchymal[keep]
        self.n_epithelial, self.cluster_id = self.n_epithelial[keep], self.cluster_id[keep]
        return out


COUNTERS = (
    "cum_intravasation_events",
    "cum_intravasated_cells",
    "cum_intravasated_mesenchymal",
    "cum_intravasated_epithelial",
    "cum_single_cell_events",
    "cum_arrived_clusters",
    "cum_circulation_deaths",
    "cum_surviving_clusters",
    "cum_arrived_cells",
    "cum_lost_cells",
)


@dataclass
class CascadeState:
    """Everything that changes during a run; owned and mutated by :class:`CascadeModel` only.

    ``m`` (MMP-2) and ``w`` (ECM) are float64 ``(n_grids, W, H)``; ``active`` marks grids whose
    fields can change (the primary, and a secondary grid once a cell arrives), so untouched grids
    cost nothing; ``first_populated`` is the first step each grid held a cell (-1: never).
    """

    cells: Cells
    m: np.ndarray
    w: np.ndarray
    vessels: Vessels
    vessel_at: np.ndarray
    active: np.ndarray
    first_populated: np.ndarray
    circulation: Circulation = field(default_factory=Circulation)
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    next_cluster_id: int = 0
    step: int = 0


@dataclass(frozen=True)
class Snapshot:
    """A copy of the state at a saved step, safe to keep while the run goes on."""

    step: int
    cells: Cells
    m: np.ndarray
    w: np.ndarray
    vessels: Vessels
    counters: dict[str, int]
    first_populated: np.ndarray
    clusters_in_circulation: int
    cells_in_circulation: int

    @classmethod
    def of(cls, state: CascadeState) -> Snapshot:
        circ = state.circulation
        return cls(
            step=state.step,
            cells=state.cells,
            m=state.m.copy(),
            w=state.w.copy(),
            vessels=state.vessels,
            counters=dict(state.counters),
            first_populated=state.first_populated.copy(),
            clusters_in_circulation=int(circ.arrival.size),
            cells_in_circulation=int(circ.n_mesenchymal.sum() + circ.n_epithelial.sum()),
        )
