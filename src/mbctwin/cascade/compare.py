"""Treated vs untreated cascade runs over several seeds, and a plot of cells per organ over time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mbctwin.cascade.extensions import ExtendedCascadeModel, ExtendedConfig

FINAL_COUNTERS = ("ext_chemo_killed", "ext_divisions_blocked")


def compare(
    untreated: ExtendedConfig, treated: ExtendedConfig, steps: int, seeds: list[int], save_every: int = 100
) -> dict[str, Any]:
    """Per arm and seed, ``cells_<grid>`` over the saved steps; the same seed gives both arms the same start."""
    arms: dict[str, Any] = {}
    for arm, ext in (("untreated", untreated), ("treated", treated)):
        runs = [ExtendedCascadeModel(ext).run(steps, seed=s, save_every=save_every) for s in seeds]
        keys = [f"cells_{n}" for n in ext.grid_names()]
        arms[arm] = {
            "steps": [r["step"] for r in runs[0].records],
            "series": {k: [[r[k] for r in run.records] for run in runs] for k in keys},
            "final": {k: [run.records[-1][k] for run in runs] for k in [*keys, *FINAL_COUNTERS]},
        }
    return {"steps": steps, "seeds": seeds, "arms": arms}


def organ_counts_png(comparison: dict[str, Any], path: Path) -> Path:
    """One panel per grid: mean cells over seeds (band: min-max), untreated vs treated."""
    from mbctwin.results import new_figure

    keys = list(comparison["arms"]["untreated"]["series"])
    fig = new_figure((3.2 * len(keys), 3))
    axes = fig.subplots(1, len(keys), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        for arm, colour in (("untreated", "tab:grey"), ("treated", "tab:blue")):
            data = comparison["arms"][arm]
            a = np.asarray(data["series"][key], dtype=float)
            ax.plot(data["steps"], a.mean(axis=0), color=colour, label=arm)
            ax.fill_between(data["steps"], a.min(axis=0), a.max(axis=0), color=colour, alpha=0.2)
        ax.set_title(key.removeprefix("cells_"))
        ax.set_xlabel("step")
    axes[0][0].set_ylabel("cells")
    axes[0][0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
