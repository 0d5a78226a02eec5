"""The cascade model: one step = arrivals, fields, proliferation, movement with intravasation.

The step is an ordered list of phases (:data:`CORE_PHASES`), each a function of the :class:`Run`;
statistics come from declared reporters. Extensions add or replace phases and reporters.

``CascadeModel(config).run(steps, seed=S)`` is deterministic: the seed becomes a
``numpy.random.SeedSequence`` whose four children drive setup, movement, proliferation and
circulation, so the same seed gives bit-identical arrays, and changing one phase's use of
randomness leaves the other streams untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, cast

import numpy as np
from typing_extensions import TypeVar

from mbctwin.cascade import fields, movement, vasculature
from mbctwin.cascade.config import CascadeConfig
from mbctwin.cascade.state import COUNTERS, CascadeState, Cells, Snapshot
from mbctwin.cascade.stats import snapshot_stats
from mbctwin.seeds import recorded_seed

Progress = Callable[[int, int], None]
OnSave = Callable[[Snapshot], None]
STREAMS = ("setup", "movement", "proliferation", "circulation")


def spawn(seed: int | np.random.SeedSequence | None) -> tuple[np.random.SeedSequence, dict[str, np.random.Generator]]:
    """The run's SeedSequence and one Generator per stream (the only place seeds become Generators)."""
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    children = seq.spawn(len(STREAMS))
    return seq, {name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=True)}


@dataclass
class CascadeResult:
    """Statistics per saved step, the event table and the final state of one run."""

    config: CascadeConfig
    seed: int
    records: list[dict[str, Any]]
    events: list[dict[str, int | str]]
    final: Snapshot

    def series(self, key: str) -> np.ndarray:
        """One statistic over the saved steps."""
        return np.array([r[key] for r in self.records])

    def plot_series(self, keys: list[str] | None = None, ax: Any = None) -> Any:
        """Time series of statistics (matplotlib imported lazily); returns the Axes."""
        from mbctwin.cascade.plot import plot_series

        return plot_series(self.records, keys, ax=ax)


@dataclass
class Run:
    """One run in progress: the state, the streams and the events so far.

    Phases read and change it in place. Extensions that need more per-run data subclass it with
    typed fields (:class:`mbctwin.cascade.extensions.ExtendedRun`).
    """

    cfg: CascadeConfig
    state: CascadeState
    rng: dict[str, np.random.Generator]
    sequence: np.random.SeedSequence
    events: list[dict[str, int | str]] = field(default_factory=list)
    scratch: fields.FieldScratch = field(init=False, repr=False)
    _occupancy: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.scratch = fields.FieldScratch(self.state.m.shape)
        self._occupancy = np.zeros(self.state.m.size, dtype=np.int64)

    def occupancy(self) -> np.ndarray:
        """Cells on each flat point, int64 (n_grids·W·H,); one array reused by every call of the run
        (see :class:`~mbctwin.cascade.fields.FieldScratch` for why), valid until the next call."""
        counts = self._occupancy
        counts.fill(0)
        np.add.at(counts, self.state.cells.flat(self.cfg.grid_size), 1)
        return counts

    def event(self, kind: str, cluster: int, grid: int, vessel: int, n_mes: int, n_epi: int, lost: int = 0) -> None:
        """One row of the event table; ``grid`` 1-based (0: the blood), vessel -1: none."""
        v = self.state.vessels
        self.events.append(
            {
                "step": self.state.step + 1,
                "kind": kind,
                "cluster_id": int(cluster),
                "grid": grid + 1,
                "vessel_x": int(v.x[vessel]) if vessel >= 0 else -1,
                "vessel_y": int(v.y[vessel]) if vessel >= 0 else -1,
                "n_mesenchymal": int(n_mes),
                "n_epithelial": int(n_epi),
                "n_lost": int(lost),
            }
        )


RunT = TypeVar("RunT", bound=Run, default=Run)
Phase = Callable[[RunT], None]
Reporter = Callable[[Snapshot, CascadeConfig], dict[str, Any]]


def initial_state(cfg: CascadeConfig, rng: np.random.Generator) -> CascadeState:
    """Fields m = 0, w = 1; the central tumour on grid 1; vessels on every grid."""
    shape = (cfg.grids, cfg.grid_size, cfg.grid_size)
    vessels = vasculature.place_vessels(cfg, rng)
    cells = vasculature.initial_tumour(cfg, rng)
    first = np.full(cfg.grids, -1, dtype=np.int64)
    first[0] = 0
    active = np.zeros(cfg.grids, dtype=bool)
    active[0] = True
    counters = dict.fromkeys(COUNTERS, 0) | {f"grid{g + 1}_arrived_cells": 0 for g in range(1, cfg.grids)}
    return CascadeState(
        cells=cells,
        m=np.zeros(shape),
        w=np.ones(shape),
        vessels=vessels,
        vessel_at=vessels.lookup(cfg),
        active=active,
        first_populated=first,
        counters=counters,
    )


class CascadeModel(Generic[RunT]):
    """Hybrid discrete-continuum model of metastatic spread (Franssen et al. 2019), vectorised.

    A step runs an ordered list of named phases (:data:`CORE_PHASES`: arrivals, fields,
    proliferation, movement), then advances the clock; a saved step merges the records of the
    declared reporters (Mesa's DataCollector is the model). Mechanisms are added by inserting or
    replacing phases and appending reporters, never by copying the step
    (:class:`~mbctwin.cascade.extensions.ExtendedCascadeModel` is built so).

    Parameters
    ----------
    config : CascadeConfig, optional
        The published defaults unless given.

    References
    ----------
    .. [1] Franssen LC, Lorenzi T, Burgess AEF, Chaplain MAJ. Bull Math Biol 81:1965-2010 (2019).

    Examples
    --------
    >>> model = CascadeModel(CascadeConfig(grid_size=41))
    >>> [name for name, _ in model.phases]
    ['arrivals', 'fields', 'proliferation', 'movement']
    >>> result = model.run(200, seed=1, save_every=100)
    >>> result.records[-1]["primary_n_total"]
    388
    """

    def __init__(self, config: CascadeConfig | None = None) -> None:
        self.config = config or CascadeConfig()
        self.phases: list[tuple[str, Phase[RunT]]] = list(CORE_PHASES)
        self.reporters: list[Reporter] = [snapshot_stats]

    def add_phase(self, name: str, phase: Phase[RunT], *, before: str | None = None, after: str | None = None) -> None:
        """Insert ``phase`` before or after the phase so named (at the end when neither is given)."""
        if name in self.phase_names():
            raise ValueError(f"a phase named {name!r} exists already")
        if before is not None and after is not None:
            raise ValueError("give before or after, not both")
        anchor = before or after
        at = len(self.phases) if anchor is None else self._index(anchor) + (after is not None)
        self.phases.insert(at, (name, phase))

    def replace_phase(self, name: str, phase: Phase[RunT]) -> None:
        """Put ``phase`` in the place of the phase so named (it may call the one it replaces)."""
        self.phases[self._index(name)] = (name, phase)

    def phase_names(self) -> list[str]:
        return [name for name, _ in self.phases]

    def _index(self, name: str) -> int:
        names = self.phase_names()
        if name not in names:
            raise ValueError(f"no phase named {name!r}; phases: {names}")
        return names.index(name)

    def start(self, seed: int | np.random.SeedSequence | None = None) -> RunT:
        """A run at step 0: the initial state from the setup stream."""
        sequence, rng = spawn(seed)
        return cast(RunT, Run(self.config, initial_state(self.config, rng["setup"]), rng, sequence))

    def step(self, run: RunT) -> None:
        """Every phase in order, then the clock advances."""
        for _, phase in self.phases:
            phase(run)
        end_step(run)

    def record(self, snap: Snapshot) -> dict[str, Any]:
        """The statistics of a saved step: every reporter's record, merged in order."""
        record: dict[str, Any] = {}
        for reporter in self.reporters:
            record |= reporter(snap, self.config)
        return record

    def run(
        self,
        steps: int,
        *,
        seed: int | np.random.SeedSequence | None = None,
        progress: Progress | None = None,
        save_every: int = 100,
        on_save: OnSave | None = None,
    ) -> CascadeResult:
        """Simulate ``steps`` steps; record statistics every ``save_every`` steps and at the end."""
        if steps < 0 or save_every < 1:
            raise ValueError("steps must be ≥ 0 and save_every ≥ 1")
        run = self.start(seed)
        records = []
        for n in range(1, steps + 1):
            self.step(run)
            if n % save_every == 0 or n == steps:
                snap = Snapshot.of(run.state)
                records.append(self.record(snap))
                if on_save is not None:
                    on_save(snap)
            if progress is not None:
                progress(n, steps)
        return CascadeResult(self.config, recorded_seed(run.sequence), records, run.events, Snapshot.of(run.state))


def end_step(run: Run) -> None:
    """The clock advances; grids populated for the first time note the step."""
    state = run.state
    state.step += 1
    populated = np.bincount(state.cells.grid, minlength=run.cfg.grids) > 0
    state.first_populated[(state.first_populated < 0) & populated] = state.step


def update_fields(run: Run) -> None:
    """MMP-2 and ECM on the active grids (untouched secondary grids stay m = 0, w = 1), in place."""
    state, cfg, scratch = run.state, run.cfg, run.scratch
    idx = np.flatnonzero(state.active)
    first, k = int(idx[0]), idx.size
    if idx[-1] - first + 1 == k:  # a contiguous block (usually): views, no copies
        n_mes = fields.count_mesenchymal(state.cells, first, scratch.mesenchymal[:k])
        fields.advance_fields(state.m[first : first + k], state.w[first : first + k], n_mes, cfg, scratch)
        return
    n_mes = fields.count_mesenchymal(state.cells, 0, scratch.mesenchymal)[idx]
    m, w = state.m[idx], state.w[idx]
    fields.advance_fields(m, w, n_mes, cfg, scratch)
    state.m[idx], state.w[idx] = m, w


def rank_within_groups(keys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random rank 0, 1, … of each element among the elements with the same key."""
    order = np.lexsort((rng.random(keys.size), keys))
    sorted_keys = keys[order]
    first = np.searchsorted(sorted_keys, sorted_keys, side="left")
    rank = np.empty(keys.size, dtype=np.int64)
    rank[order] = np.arange(keys.size) - first
    return rank


def due_to_divide(state: CascadeState, cfg: CascadeConfig) -> np.ndarray:
    """Indices of the cells whose doubling time completes at this step (none at step 0)."""
    done = state.step
    if done == 0:
        return np.empty(0, dtype=np.int64)
    mes = state.cells.mesenchymal
    return np.flatnonzero(
        (mes & (done % cfg.doubling_time_mesenchymal == 0)) | (~mes & (done % cfg.doubling_time_epithelial == 0))
    )


def proliferate(run: Run) -> None:
    """M cells divide once T_M, 2T_M, … steps are complete (E: T_E); the daughter needs room on the same point.

    As in MetaSpread, division happens in the step after the T-th (step 2001 for T_M = 2000);
    cells at a point compete for its free room in random order.
    """
    dividing = due_to_divide(run.state, run.cfg)
    if dividing.size:
        divide(run, dividing)


def divide(run: Run, dividing: np.ndarray, dying: np.ndarray | None = None) -> None:
    """Cells ``dividing`` (indices) each leave a daughter on their point while it has room (Q), in a
    random order among the cells of a point; cells ``dying`` are removed first (an extension's
    treatment may kill a cell when it would divide)."""
    state, cfg = run.state, run.cfg
    flat = state.cells.flat(cfg.grid_size)[dividing]
    room = cfg.carrying_capacity - run.occupancy()[flat]
    born = dividing[rank_within_groups(flat, run.rng["proliferation"]) < room]
    kept = state.cells
    if dying is not None:
        alive = np.ones(len(kept), dtype=bool)
        alive[dying] = False
        kept = kept.take(alive)
    state.cells = kept.concat(state.cells.take(born))


def move(run: Run) -> None:
    """Draw every cell's direction, let triggered vessels take their clusters, then resolve moves."""
    state, cfg = run.state, run.cfg
    rng = run.rng["movement"]
    cells = state.cells
    p = movement.final_probabilities(movement.raw_probabilities(state.w, cells, cfg), cfg.negative_probabilities)
    direction = movement.draw_directions(p, rng.random(len(cells)), cfg.negative_probabilities)
    tx, ty = movement.targets(cells, direction)
    intra = vasculature.intravasate(cells, tx, ty, state.vessels, state.vessel_at, cfg)
    if intra.vessel.size:
        enter_circulation(run, intra)
        cells, direction, tx, ty = cells.take(intra.keep), direction[intra.keep], tx[intra.keep], ty[intra.keep]
        state.cells = cells
    movers = np.flatnonzero(direction != 0)
    size = cfg.grid_size
    origin = cells.flat(size)[movers]
    target = (cells.grid[movers].astype(np.int64) * size + tx[movers]) * size + ty[movers]
    ok = movement.resolve_moves(origin, target, rng.permutation(movers.size), run.occupancy(), cfg.carrying_capacity)
    x, y = cells.x.copy(), cells.y.copy()
    x[movers[ok]], y[movers[ok]] = tx[movers[ok]], ty[movers[ok]]
    state.cells = Cells(cells.grid, x, y, cells.mesenchymal, cells.traits)


def enter_circulation(run: Run, intra: vasculature.Intravasation) -> None:
    """Record the clusters and put them in the blood until step + T_V."""
    state = run.state
    first_id = state.next_cluster_id
    state.circulation.add(state.step + 1 + run.cfg.circulation_time, intra.n_mesenchymal, intra.n_epithelial, first_id)
    state.next_cluster_id += intra.vessel.size
    c = state.counters
    sizes = intra.n_mesenchymal + intra.n_epithelial
    c["cum_intravasation_events"] += int(intra.vessel.size)
    c["cum_intravasated_cells"] += int(sizes.sum())
    c["cum_intravasated_mesenchymal"] += int(intra.n_mesenchymal.sum())
    c["cum_intravasated_epithelial"] += int(intra.n_epithelial.sum())
    c["cum_single_cell_events"] += int((sizes == 1).sum())
    for i, vessel in enumerate(intra.vessel):
        run.event("intravasation", first_id + i, 0, int(vessel), intra.n_mesenchymal[i], intra.n_epithelial[i])


def arrivals(run: Run) -> None:
    """Clusters at the end of their circulation time: disaggregate, survive, extravasate."""
    state, cfg = run.state, run.cfg
    n_mes, n_epi, ids = state.circulation.pop(state.step + 1)
    if ids.size == 0:
        return
    state.counters["cum_arrived_clusters"] += int(ids.size)
    for i in range(ids.size):
        run.event("arrival", int(ids[i]), -1, -1, int(n_mes[i]), int(n_epi[i]))
    rng = run.rng["circulation"]
    arrived = vasculature.disaggregate_and_survive(n_mes, n_epi, ids, cfg, rng)
    survived = int(arrived.survivors_mesenchymal.sum() + arrived.survivors_epithelial.sum())
    state.counters["cum_circulation_deaths"] += int(n_mes.sum() + n_epi.sum()) - survived
    grid, vessel = vasculature.choose_destinations(arrived.source_cluster.size, state.vessels, cfg, rng)
    occupancy = run.occupancy()
    for i in range(grid.size):
        extravasate(run, arrived, i, int(grid[i]), int(vessel[i]), occupancy)


def extravasate(run: Run, arrived: vasculature.Arrival, i: int, grid: int, vessel: int, occupancy: np.ndarray) -> None:
    """Place survivor ``i`` next to its vessel on ``grid``; count what did not fit."""
    state, cfg = run.state, run.cfg
    n_mes, n_epi = int(arrived.survivors_mesenchymal[i]), int(arrived.survivors_epithelial[i])
    placed = vasculature.place_cluster(n_mes, n_epi, vessel, state.vessels, occupancy, cfg)
    lost = n_mes + n_epi - len(placed)
    state.cells = state.cells.concat(placed)
    state.active[grid] = True
    c = state.counters
    c["cum_surviving_clusters"] += 1
    c["cum_arrived_cells"] += n_mes + n_epi
    c[f"grid{grid + 1}_arrived_cells"] += n_mes + n_epi
    c["cum_lost_cells"] += lost
    cluster = int(arrived.source_cluster[i])
    run.event("survivor", cluster, grid, vessel, n_mes, n_epi)
    placed_mes = int(placed.mesenchymal.sum())
    run.event("colonisation", cluster, grid, vessel, placed_mes, len(placed) - placed_mes, lost)


def _replicate(task: tuple[CascadeConfig, int, int, int]) -> CascadeResult:
    config, steps, seed, save_every = task
    return CascadeModel(config).run(steps, seed=seed, save_every=save_every)


def run_replicates(
    config: CascadeConfig,
    steps: int,
    seeds: list[int],
    *,
    save_every: int = 100,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[CascadeResult]:
    """One run per seed, serially or on Dask (``"dask"`` or ``tcp://HOST:PORT``); same results either way."""
    from mbctwin.parallel import map_tasks

    tasks = [(config, steps, seed, save_every) for seed in seeds]
    return map_tasks(_replicate, tasks, scheduler=scheduler, progress=progress)


CORE_PHASES: tuple[tuple[str, Phase[Any]], ...] = (
    ("arrivals", arrivals),
    ("fields", update_fields),
    ("proliferation", proliferate),
    ("movement", move),
)  # the spec's order within a step
