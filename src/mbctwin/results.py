"""What every result object of mbctwin offers, lifelines-style: ``summary`` (a DataFrame to read),
``to_dict()`` (the JSON a command prints), ``save(folder)`` (JSON, Parquet tables and PNG plots)
and ``plot_*(ax=None)`` methods that draw on given Axes or on a new figure.

Figures are built as ``matplotlib.figure.Figure`` objects, never through a pyplot backend, so a
library call does not change the backend of the notebook or program that uses it.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SUMMARY_FILE = "summary.json"


def new_axes(ax: Axes | None = None, size: tuple[float, float] = (7, 4.5)) -> Axes:
    """``ax`` itself, or the Axes of a new figure that belongs to no pyplot backend.

    Examples
    --------
    >>> ax = new_axes()
    >>> type(ax.figure).__name__, ax.figure.get_size_inches().tolist()
    ('Figure', [7.0, 4.5])
    """
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=size).subplots()


def figure_of(ax: Axes) -> Figure:
    """The top-level figure that ``ax`` is drawn on (what ``savefig`` writes)."""
    from matplotlib.figure import Figure

    figure = ax.get_figure()
    while figure is not None and not isinstance(figure, Figure):
        figure = figure.get_figure()
    if figure is None:
        raise ValueError("these Axes belong to no figure")
    return figure


def new_figure(size: tuple[float, float]) -> Figure:
    """A figure that belongs to no pyplot backend (``savefig`` picks a renderer by file type)."""
    from matplotlib.figure import Figure

    return Figure(figsize=size)


class Result(ABC):
    """Base of the result objects: one way to read, serialise and save any of them."""

    @property
    @abstractmethod
    def summary(self) -> pd.DataFrame:
        """The headline figures as a table."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data (what ``--format json`` prints)."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """Detailed tables saved as ``NAME.parquet`` (none by default)."""
        return {}

    def figures(self) -> dict[str, Figure]:
        """Plots saved as ``NAME.png`` (none by default)."""
        return {}

    def save(self, folder: str | Path, plots: bool = True) -> list[Path]:
        """Write ``summary.json``, every table as Parquet and (``plots``) every figure as PNG; returns the paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / SUMMARY_FILE]
        paths[0].write_text(
            json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        for name, table in self.tables().items():
            paths.append(folder / f"{name}.parquet")
            table.to_parquet(paths[-1])
        for name, figure in self.figures().items() if plots else ():
            paths.append(folder / f"{name}.png")
            figure.tight_layout()
            figure.savefig(paths[-1], dpi=120)
        return paths
