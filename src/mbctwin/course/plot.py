"""Plots of a simulated course: survival curves, a swimmer plot of lines, site acquisition.

matplotlib is imported lazily (it is only needed when plots are asked for); every function
takes ``ax=None`` (a new figure, no pyplot backend) and returns the Axes, so figures can be
composed. The same plots are methods of :class:`CourseResult` (``result.plot_survival()``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mbctwin.course import survival
from mbctwin.course.result import BEST_SUPPORTIVE_CARE, SUMMARY_SITES, CourseResult
from mbctwin.results import new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_survival(result: CourseResult, ax: Axes | None = None) -> Axes:
    """Kaplan-Meier overall survival and first-line PFS with 95 % confidence bands."""
    ax = new_axes(ax)
    curves = {"overall survival": (result.patients["os_months"].to_numpy(), result.patients["died"].to_numpy())}
    first = int(result.lines["line"].min())
    curves[f"PFS, line {first}"] = result.line_pfs(first)
    for label, (durations, events) in curves.items():
        times, curve, low, high = survival.km_curve(durations, events)
        ax.step(times, curve, where="post", label=label)
        ax.fill_between(times, low, high, step="post", alpha=0.2)
    ax.set(xlabel="months", ylabel="probability", ylim=(0, 1.02), title="Simulated survival")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def plot_swimmer(result: CourseResult, patients: int = 40, ax: Axes | None = None) -> Axes:
    """One bar per patient, one coloured segment per line (grey: supportive care)."""
    ax = new_axes(ax)
    chosen = result.patients["patient"].to_numpy()[:patients]
    lines = result.lines[result.lines["patient"].isin(chosen)]
    regimens = sorted(set(lines["regimen"]) - {BEST_SUPPORTIVE_CARE})
    palette = {name: f"C{i % 10}" for i, name in enumerate(regimens)} | {BEST_SUPPORTIVE_CARE: "0.7"}
    for row in lines.itertuples():
        ax.barh(
            row.patient,
            row.stop_months - row.start_months,
            left=row.start_months,
            color=palette[row.regimen],
            height=0.8,
        )
    dead = result.patients.set_index("patient").loc[chosen]
    ends = dead[dead["died"]]
    ax.plot(ends["os_months"], ends.index, "kx", markersize=4, label="death")
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=n) for n, c in palette.items()]
    ax.legend(handles=handles[:12], fontsize=6, loc="lower right")
    ax.set(xlabel="months", ylabel="patient", title=f"Lines of therapy ({len(chosen)} patients)")
    return ax


def plot_sites(result: CourseResult, ax: Axes | None = None) -> Axes:
    """Cumulative share of patients with each metastatic site over time."""
    ax = new_axes(ax)
    horizon = result.years * 12.0
    grid = np.linspace(0, horizon, 121)
    for site in SUMMARY_SITES:
        onset = result.patients[f"{site}_months"].to_numpy()
        share = [(np.nan_to_num(onset, nan=np.inf) <= t).mean() * 100 for t in grid]
        ax.plot(grid, share, label=site)
    ax.set(xlabel="months", ylabel="% of patients", title="Metastatic sites over time", ylim=(0, 102))
    ax.grid(alpha=0.3)
    ax.legend()
    return ax
