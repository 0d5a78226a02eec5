"""Pictures of a cascade run: grid frames, an animated GIF and time series.

matplotlib is imported lazily; figures are ``matplotlib.figure.Figure`` objects that belong to no
pyplot backend, so plotting never changes the caller's backend and works without a display. The
GIF is assembled with Pillow.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mbctwin.results import figure_of, new_axes, new_figure

DEFAULT_SERIES = (
    "primary_n_mesenchymal",
    "primary_n_epithelial",
    "grid2_n_total",
    "grid3_n_total",
    "cum_intravasated_cells",
    "cum_arrived_cells",
)


def plot_grid(
    w: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    mesenchymal: np.ndarray,
    vessels: tuple[np.ndarray, np.ndarray, np.ndarray],
    title: str = "",
    ax: Any = None,
) -> Any:
    """One grid: ECM density as the background, cells coloured by phenotype, vessels marked.

    ``vessels`` is ``(x, y, ruptured)`` of this grid's vessel points; returns the Axes.
    """
    ax = new_axes(ax, (5, 5))
    ax.imshow(w.T, origin="lower", cmap="Greens", vmin=0, vmax=1, interpolation="nearest")
    ax.scatter(x[~mesenchymal], y[~mesenchymal], s=4, c="tab:blue", label="epithelial")
    ax.scatter(x[mesenchymal], y[mesenchymal], s=4, c="tab:red", label="mesenchymal")
    vx, vy, ruptured = vessels
    ax.scatter(vx[~ruptured], vy[~ruptured], s=40, marker="s", facecolors="none", edgecolors="k", label="vessel")
    ax.scatter(vx[ruptured], vy[ruptured], s=40, marker="X", c="k", label="ruptured vessel")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def frame_png(frame: dict[str, np.ndarray], path: Path) -> Path:
    """All grids of one saved frame side by side in one PNG."""
    n_grids = frame["w"].shape[0]
    fig = new_figure((4 * n_grids, 4.3))
    axes = fig.subplots(1, n_grids, squeeze=False)
    for g, ax in enumerate(axes[0]):
        cells, vessels = frame["cell_grid"] == g, frame["vessel_grid"] == g
        name = "primary" if g == 0 else f"grid {g + 1}"
        plot_grid(
            frame["w"][g],
            frame["cell_x"][cells],
            frame["cell_y"][cells],
            frame["cell_mesenchymal"][cells],
            (frame["vessel_x"][vessels], frame["vessel_y"][vessels], frame["vessel_ruptured"][vessels]),
            title=f"{name}, step {int(frame['step'])}",
            ax=ax,
        )
    axes[0][0].legend(loc="lower left", fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    return path


def gif(pngs: Sequence[Path], path: Path, ms_per_frame: int = 300) -> Path:
    """Animated GIF of the frames (Pillow)."""
    from PIL import Image

    images = [Image.open(p).convert("P", palette=Image.Palette.ADAPTIVE) for p in pngs]
    images[0].save(path, save_all=True, append_images=images[1:], duration=ms_per_frame, loop=0)
    return path


def plot_series(records: list[dict[str, Any]], keys: Sequence[str] | None = None, ax: Any = None) -> Any:
    """Statistics against the step (log scale not assumed); returns the Axes."""
    ax = new_axes(ax, (7, 4))
    steps = [r["step"] for r in records]
    for key in keys or [k for k in DEFAULT_SERIES if records and k in records[0]]:
        ax.plot(steps, [r[key] for r in records], label=key)
    ax.set_xlabel("step (≈ 40 s each)")
    ax.legend(fontsize=7)
    return ax


def series_png(records: list[dict[str, Any]], path: Path) -> Path:
    figure = figure_of(plot_series(records))
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    return path
