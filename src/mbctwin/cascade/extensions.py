"""Beyond MetaSpread: organs as secondary sites, the lymphatic route, receptor status and treatments.

Everything here is off unless configured: :class:`CascadeModel` never imports this module, and an
:class:`ExtendedConfig` with no organs, no lymphatics and no therapies runs the core step unchanged
(the same seed gives the same arrays). Extension randomness comes from an extra child of the run's
``SeedSequence`` (spawned after the four core streams), so the core streams are untouched.

Per cell, :attr:`Cells.traits` holds bit flags: :data:`ER`, :data:`HER2`, :data:`RESISTANT` and
:data:`ASSIGNED` (flags drawn). Cells that arrive from the blood are new cells (the circulation
keeps only phenotype counts), so their flags are drawn again from the configured fractions.

References
----------
.. [K] Kaplan MA et al. Clinical outcomes in patients with metastatic breast cancer by subtype:
   sites of metastasis. PMC5040895 (2016); percentages as in ``shared/spec/course-targets.md`` §3.
.. [A] Allison KH et al. Estrogen and progesterone receptor testing in breast cancer: ASCO/CAP
   guideline update. J Clin Oncol 38:1346-66 (2020) (ER ≥ 1 % of cells is positive).
.. [W] Wolff AC et al. HER2 testing in breast cancer: ASCO/CAP guideline update. J Clin Oncol
   36:2105-22 (2018) (IHC 3+: complete intense staining in > 10 % of cells).
.. [S] Swartz MA, Lund AW. Lymphatic and interstitial flow in the tumour microenvironment. Nat Rev
   Cancer 12:210-9 (2012) (cells enter initial lymphatics passively with the interstitial flow).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mbctwin.cascade import model as core
from mbctwin.cascade.config import CascadeConfig
from mbctwin.cascade.state import Cells, Snapshot

ER, HER2, RESISTANT, ASSIGNED = np.uint8(1), np.uint8(2), np.uint8(4), np.uint8(8)
STEPS_PER_DAY = 2160  # Δt ≈ 40 s (config module docstring)
SUBTYPES = ("HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative")

# Percent of patients with metastasis at the site during the metastatic course [K]. HR+/HER2- is the
# mean of the luminal A and B columns (the spec's target lies between them); HR+/HER2+ uses luminal B.
KAPLAN_SITE_PERCENT: dict[str, dict[str, float]] = {
    "bone": {"HR+/HER2-": (66.2 + 53.9) / 2, "HR+/HER2+": 53.9, "HR-/HER2+": 38.9, "triple-negative": 45.1},
    "liver": {"HR+/HER2-": (24.5 + 33.5) / 2, "HR+/HER2+": 33.5, "HR-/HER2+": 40.1, "triple-negative": 27.5},
    "lung": {"HR+/HER2-": (30.2 + 30.6) / 2, "HR+/HER2+": 30.6, "HR-/HER2+": 35.2, "triple-negative": 41.4},
    "brain": {"HR+/HER2-": (10.1 + 15.1) / 2, "HR+/HER2+": 15.1, "HR-/HER2+": 25.3, "triple-negative": 23.1},
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Organ(_Frozen):
    """A named secondary grid.

    ``tropism`` is the relative seeding weight per subtype (default: the site percentages of [K]);
    ``extravasation`` the probability that a cell placed there stays (no published value; 1.0 — the
    clinical site table already includes the blood-brain barrier, so lowering brain's is a what-if);
    ``growth`` the probability that a due division succeeds there (no published value; 1.0);
    ``ecm_density`` the starting matrix density w of the organ's grid (no published value; 1.0, the
    reference model's uniform matrix): a looser matrix is degraded and invaded sooner.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    tropism: dict[str, float] = Field(default_factory=dict, description="Subtype → seeding weight (≥ 0).")
    extravasation: float = Field(1.0, ge=0.0, le=1.0)
    growth: float = Field(1.0, ge=0.0, le=1.0)
    ecm_density: float = Field(1.0, gt=0.0, le=1.0)

    def weight(self, subtype: str) -> float:
        return float(self.tropism.get(subtype, self.tropism.get("default", 0.0)))


def default_organs() -> tuple[Organ, ...]:
    """Bone, lung, liver and brain with the tropism of [K]."""
    return tuple(Organ(name=n, tropism=KAPLAN_SITE_PERCENT[n]) for n in ("bone", "lung", "liver", "brain"))


class Lymphatics(_Frozen):
    """Lymphatic vessel points on the primary grid and a lymph-node grid (the last grid).

    Cells of either phenotype standing on a lymphatic point enter it passively [S]. No published
    per-step rates exist for this model: ``entry_prob`` and ``node_to_blood_prob`` are defaults chosen
    so that lymph-node seeding is visible within 10⁴ steps on the default grid.
    """

    vessels: int = Field(10, ge=1, description="Lymphatic points on the primary grid (no published value).")
    entry_prob: float = Field(0.05, ge=0, le=1, description="Per cell per step on a lymphatic point (chosen).")
    node_to_blood_prob: float = Field(1e-5, ge=0, le=1, description="Per node cell per step (chosen).")
    node_radius: int = Field(3, ge=0, description="Arriving cells land within this radius of the node centre.")


TherapyKind = Literal["endocrine", "anti_her2", "chemotherapy", "radiotherapy", "surgery"]


class Therapy(_Frozen):
    """One treatment acting on cells from ``start_step`` (until ``end_step``, exclusive; None: never stops).

    endocrine / anti_her2: a due division of a non-resistant ER+ (HER2+) cell is blocked with
    probability ``inhibition``. chemotherapy: ``cycles`` doses every ``cycle_steps``, each active for
    ``exposure_steps``; a non-resistant cell due to divide while a dose is active dies with
    probability ``kill``. radiotherapy: at ``start_step`` removes the non-resistant cells of ``grid``
    (1-based) within ``radius`` of (``x``, ``y``) (None: the centre / the whole grid). surgery: at
    ``start_step`` removes every cell of the primary grid.
    """

    kind: TherapyKind
    start_step: int = Field(0, ge=0)
    end_step: int | None = Field(None, ge=0)
    inhibition: float = Field(1.0, ge=0, le=1)
    kill: float = Field(0.5, ge=0, le=1, description="No published per-division value; default chosen.")
    cycle_steps: int = Field(21 * STEPS_PER_DAY, ge=1, description="21-day cycle.")
    exposure_steps: int = Field(STEPS_PER_DAY, ge=1, description="One day of cytotoxic exposure per dose (chosen).")
    cycles: int = Field(6, ge=1)
    grid: int = Field(1, ge=1)
    x: int | None = None
    y: int | None = None
    radius: float | None = Field(None, ge=0)

    def active(self, step: int) -> bool:
        """Is the (continuous or dose) effect on at this many completed steps?"""
        if step < self.start_step or (self.end_step is not None and step >= self.end_step):
            return False
        if self.kind != "chemotherapy":
            return True
        since = step - self.start_step
        return since // self.cycle_steps < self.cycles and since % self.cycle_steps < self.exposure_steps


class ExtendedConfig(_Frozen):
    """The core parameters plus the extensions; :attr:`cascade` is the core configuration actually run."""

    core: CascadeConfig = Field(default_factory=CascadeConfig)
    subtype: str = "HR+/HER2-"
    organs: tuple[Organ, ...] = ()
    lymphatics: Lymphatics | None = None
    er_fraction: float = Field(0.0, ge=0, le=1, description="Share of cells drawn ER+.")
    her2_fraction: float = Field(0.0, ge=0, le=1, description="Share of cells drawn HER2+.")
    resistant_fraction: float = Field(0.0, ge=0, le=1, description="Share of cells no drug or radiation affects.")
    therapies: tuple[Therapy, ...] = ()

    @property
    def cascade(self) -> CascadeConfig:
        """The core configuration: one grid per organ (+ the lymph node), seeding weights as extravasation_probs."""
        core_cfg = self.core
        probs = list(seeding_weights(self)) if self.organs else list(core_cfg.extravasation_probs)
        vessels = [10] * len(self.organs) if self.organs else list(core_cfg.vessels_secondary)
        if self.lymphatics is not None:
            probs.append(0.0)
            vessels.append(1)
        changes = {"grids": 1 + len(probs), "extravasation_probs": tuple(probs), "vessels_secondary": tuple(vessels)}
        if changes == _layout(core_cfg):
            return core_cfg
        return CascadeConfig.model_validate(core_cfg.model_dump() | changes)

    def grid_names(self) -> list[str]:
        n_secondary = len(self.organs) or self.core.grids - 1
        names = [o.name for o in self.organs] or [f"grid{g + 2}" for g in range(n_secondary)]
        return ["primary", *names, *(["lymph_node"] if self.lymphatics else [])]


def _layout(cfg: CascadeConfig) -> dict[str, Any]:
    return {
        "grids": cfg.grids,
        "extravasation_probs": tuple(cfg.extravasation_probs),
        "vessels_secondary": tuple(cfg.vessels_secondary),
    }


def seeding_weights(ext: ExtendedConfig) -> np.ndarray:
    """Probability that a surviving cluster goes to each organ: tropism of the subtype, normalised."""
    w = np.array([o.weight(ext.subtype) for o in ext.organs], dtype=float)
    if w.sum() <= 0:
        raise ValueError(f"no organ has a seeding weight for subtype {ext.subtype!r}")
    return w / w.sum()


def colonisation_probabilities(ext: ExtendedConfig) -> np.ndarray:
    """Probability that a survivor is placed on each organ and stays there (seeding times extravasation)."""
    return seeding_weights(ext) * np.array([o.extravasation for o in ext.organs])


# --- the run ---------------------------------------------------------------------------------------------


@dataclass
class ExtendedRun(core.Run):
    """A run with the extensions' typed state: their stream (a fifth child of the run's seed), the
    per-grid extravasation and growth multipliers, the lymph-node grid and the lymphatic points."""

    ext: ExtendedConfig = field(default_factory=lambda: ExtendedConfig())
    ext_rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    stay: np.ndarray = field(default_factory=lambda: np.ones(0))
    growth: np.ndarray = field(default_factory=lambda: np.ones(0))
    node: int = -1  # the lymph-node grid, -1 without lymphatics
    lymph_at: np.ndarray | None = None  # boolean (W·H,) lymphatic points of the primary

    @classmethod
    def extend(cls, run: core.Run, ext: ExtendedConfig) -> ExtendedRun:
        """The extensions' state for ``run`` at step 0, drawn from the run's fifth stream."""
        cfg = run.cfg
        rng = np.random.default_rng(run.sequence.spawn(1)[0])
        stay, growth = np.ones(cfg.grids), np.ones(cfg.grids)
        for g, organ in enumerate(ext.organs, start=1):
            stay[g], growth[g] = organ.extravasation, organ.growth
        return cls(
            run.cfg,
            run.state,
            run.rng,
            run.sequence,
            run.events,
            ext=ext,
            ext_rng=rng,
            stay=stay,
            growth=growth,
            node=cfg.grids - 1 if ext.lymphatics else -1,
            lymph_at=_lymphatic_points(ext.lymphatics, cfg, rng) if ext.lymphatics else None,
        )


def _lymphatic_points(lym: Lymphatics, cfg: CascadeConfig, rng: np.random.Generator) -> np.ndarray:
    """Boolean (W·H,) of lymphatic points: uniform among points outside the initial tumour and the border."""
    size, b = cfg.grid_size, cfg.border_strip
    x, y = np.divmod(np.arange(size * size), size)
    c = size // 2
    clear = (x >= b) & (x < size - b) & (y >= b) & (y < size - b)
    clear &= (x - c) ** 2 + (y - c) ** 2 > cfg.initial_points / np.pi + 4
    allowed = np.flatnonzero(clear)
    table = np.zeros(size * size, dtype=bool)
    table[rng.choice(allowed, size=min(lym.vessels, allowed.size), replace=False)] = True
    return table


def assign_traits(cells: Cells, ext: ExtendedConfig, stay: np.ndarray, rng: np.random.Generator) -> tuple[Cells, int]:
    """New cells (no ASSIGNED flag): drop those failing extravasation on their organ, draw ER/HER2/resistance."""
    new = np.flatnonzero((cells.traits & ASSIGNED) == 0)
    if new.size == 0:
        return cells, 0
    u = rng.random((4, new.size))
    fail = u[0] >= stay[cells.grid[new]]
    traits = cells.traits.copy()
    traits[new] = (
        ASSIGNED
        | np.where(u[1] < ext.er_fraction, ER, 0)
        | np.where(u[2] < ext.her2_fraction, HER2, 0)
        | np.where(u[3] < ext.resistant_fraction, RESISTANT, 0)
    ).astype(np.uint8)
    keep = np.ones(len(cells), dtype=bool)
    keep[new[fail]] = False
    out = Cells(cells.grid, cells.x, cells.y, cells.mesenchymal, traits)
    return (out.take(keep), int(fail.sum())) if fail.any() else (out, 0)


def division_odds(
    cells: Cells, dividing: np.ndarray, ext: ExtendedConfig, growth: np.ndarray, step: int
) -> tuple[np.ndarray, np.ndarray]:
    """(probability each due division goes ahead, probability the cell dies instead) for ``dividing``;
    ``growth`` is the organ growth multiplier of each grid."""
    traits = cells.traits[dividing]
    sensitive = (traits & RESISTANT) == 0
    ok = growth[cells.grid[dividing]].copy()
    die = np.zeros(dividing.size)
    for t in ext.therapies:
        if not t.active(step):
            continue
        if t.kind == "endocrine":
            ok *= np.where(sensitive & ((traits & ER) > 0), 1 - t.inhibition, 1.0)
        elif t.kind == "anti_her2":
            ok *= np.where(sensitive & ((traits & HER2) > 0), 1 - t.inhibition, 1.0)
        elif t.kind == "chemotherapy":
            die = 1 - (1 - die) * np.where(sensitive, 1 - t.kill, 1.0)
    return ok, die


def proliferate(run: ExtendedRun) -> None:
    """The core division (:func:`mbctwin.cascade.model.divide`) with divisions blocked (organ growth,
    endocrine, anti-HER2) or lethal (chemotherapy)."""
    state, cfg = run.state, run.cfg
    dividing = core.due_to_divide(state, cfg)
    if dividing.size == 0:
        return
    ok, die = division_odds(state.cells, dividing, run.ext, run.growth, state.step)
    killed = None
    if (ok < 1).any() or (die > 0).any():
        u = run.ext_rng.random((2, dividing.size))
        dead = u[0] < die
        go = ~dead & (u[1] < ok)
        state.counters["ext_divisions_blocked"] += int((~dead & ~go).sum())
        state.counters["ext_chemo_killed"] += int(dead.sum())
        killed, dividing = dividing[dead], dividing[go]
    core.divide(run, dividing, killed)


def apply_local(run: ExtendedRun) -> None:
    """Surgery and radiotherapy due at this step."""
    state, step = run.state, run.state.step
    for t in run.ext.therapies:
        if t.start_step != step or t.kind not in ("surgery", "radiotherapy"):
            continue
        cells = state.cells
        if t.kind == "surgery":
            hit = cells.grid == 0
        else:
            c = run.cfg.grid_size // 2
            cx, cy = (c if t.x is None else t.x), (c if t.y is None else t.y)
            hit = (cells.grid == t.grid - 1) & ((cells.traits & RESISTANT) == 0)
            if t.radius is not None:
                hit &= (cells.x - cx) ** 2 + (cells.y - cy) ** 2 <= t.radius**2
        state.counters[f"ext_{t.kind}_removed"] += int(hit.sum())
        state.cells = cells.take(~hit)


def lymph_entry(run: ExtendedRun) -> None:
    """Cells on a lymphatic point of the primary enter with ``entry_prob`` and land near the node centre."""
    lym, lymph_at, rng = run.ext.lymphatics, run.lymph_at, run.ext_rng
    if lym is None or lymph_at is None:
        return
    state, cfg = run.state, run.cfg
    cells, size = state.cells, cfg.grid_size
    on = np.flatnonzero(cells.grid == 0)
    on = on[lymph_at[cells.x[on].astype(np.int64) * size + cells.y[on]]]
    enter = on[rng.random(on.size) < lym.entry_prob]
    if enter.size == 0:
        return
    moving = cells.take(enter)
    r = lym.node_radius
    dx, dy = rng.integers(-r, r + 1, size=(2, enter.size))
    c = size // 2
    nx, ny = np.clip(c + dx, 0, size - 1).astype(np.int32), np.clip(c + dy, 0, size - 1).astype(np.int32)
    flat = (np.int64(run.node) * size + nx) * size + ny
    fits = core.rank_within_groups(flat, rng) < cfg.carrying_capacity - run.occupancy()[flat]
    keep = np.ones(len(cells), dtype=bool)
    keep[enter] = False
    landed = Cells(np.full(enter.size, run.node, dtype=np.int8), nx, ny, moving.mesenchymal, moving.traits).take(fits)
    state.cells = cells.take(keep).concat(landed)
    state.active[run.node] = True
    state.counters["ext_lymph_entered"] += int(enter.size)
    state.counters["ext_lymph_lost"] += int(enter.size - fits.sum())


def node_to_blood(run: ExtendedRun) -> None:
    """Each node cell enters the blood with ``node_to_blood_prob``, as a single-cell cluster."""
    lym = run.ext.lymphatics
    if lym is None:
        return
    state = run.state
    on = np.flatnonzero(state.cells.grid == run.node)
    leave = on[run.ext_rng.random(on.size) < lym.node_to_blood_prob]
    if leave.size == 0:
        return
    mes = state.cells.mesenchymal[leave].astype(np.int64)
    state.circulation.add(state.step + 1 + run.cfg.circulation_time, mes, 1 - mes, state.next_cluster_id)
    state.next_cluster_id += leave.size
    keep = np.ones(len(state.cells), dtype=bool)
    keep[leave] = False
    state.cells = state.cells.take(keep)
    state.counters["ext_node_to_blood"] += int(leave.size)


def assign_new_traits(run: ExtendedRun) -> None:
    """End of a step: cells new on their grid get their flags, or fail extravasation on their organ."""
    run.state.cells, failed = assign_traits(run.state.cells, run.ext, run.stay, run.ext_rng)
    run.state.counters["ext_extravasation_failed"] += failed


EXT_COUNTERS = (
    "ext_divisions_blocked",
    "ext_chemo_killed",
    "ext_surgery_removed",
    "ext_radiotherapy_removed",
    "ext_lymph_entered",
    "ext_lymph_lost",
    "ext_node_to_blood",
    "ext_extravasation_failed",
)


def organ_stats(snap: Snapshot, ext: ExtendedConfig) -> dict[str, int]:
    """Cells per named grid, and ER+/HER2+/resistant cells in all grids."""
    names = ext.grid_names()
    counts = np.bincount(snap.cells.grid, minlength=len(names))
    t = snap.cells.traits
    out = {f"cells_{name}": int(counts[g]) for g, name in enumerate(names)}
    out |= {
        "cells_er_positive": int(((t & ER) > 0).sum()),
        "cells_her2_positive": int(((t & HER2) > 0).sum()),
        "cells_resistant": int(((t & RESISTANT) > 0).sum()),
    }
    return out


class ExtendedCascadeModel(core.CascadeModel[ExtendedRun]):
    """The cascade with organs, lymphatics, receptor status and treatments: the core model with
    local therapy added before the arrivals, proliferation wrapped by the treatments' division odds,
    the lymphatic route and the flagging of new cells added after movement, and organ statistics
    reported beside the core ones. With nothing configured it runs the core step unchanged.

    Examples
    --------
    >>> from mbctwin.cascade.config import CascadeConfig
    >>> ext = ExtendedConfig(core=CascadeConfig(grid_size=41), organs=default_organs(), er_fraction=0.9,
    ...                      therapies=(Therapy(kind="surgery", start_step=50),))
    >>> model = ExtendedCascadeModel(ext)
    >>> [name for name, _ in model.phases]
    ['local_therapy', 'arrivals', 'fields', 'proliferation', 'movement', 'new_cell_traits']
    >>> model.run(100, seed=1, save_every=100).records[-1]["cells_primary"]
    0
    """

    def __init__(self, config: ExtendedConfig | None = None) -> None:
        self.ext = config or ExtendedConfig()
        super().__init__(self.ext.cascade)
        self.add_phase("local_therapy", apply_local, before="arrivals")
        self.replace_phase("proliferation", proliferate)
        if self.ext.lymphatics is not None:
            self.add_phase("lymph_entry", lymph_entry, after="movement")
            self.add_phase("node_to_blood", node_to_blood, after="lymph_entry")
        self.add_phase("new_cell_traits", assign_new_traits)
        self.reporters.append(self._organ_stats)

    def _organ_stats(self, snap: Snapshot, _config: CascadeConfig) -> dict[str, int]:
        return organ_stats(snap, self.ext)

    def start(self, seed: int | np.random.SeedSequence | None = None) -> ExtendedRun:
        """The core run at step 0, then the extensions' stream, counters, flags and organ matrices."""
        run = ExtendedRun.extend(core.CascadeModel(self.config).start(seed), self.ext)
        run.state.counters |= dict.fromkeys(EXT_COUNTERS, 0)
        run.state.cells, _ = assign_traits(run.state.cells, self.ext, np.ones(self.config.grids), run.ext_rng)
        for g, organ in enumerate(self.ext.organs, start=1):
            run.state.w[g] = organ.ecm_density
        return run
