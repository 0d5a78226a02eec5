"""Pictures of a probabilistic CEA: the cost-effectiveness plane and the acceptability curves with the
frontier, and one self-contained HTML page (images embedded); :class:`~mbctwin.course.cea.CeaResult`
draws and saves them."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mbctwin.results import new_axes

if TYPE_CHECKING:
    from mbctwin.course.cea import CeaResult


def plot_ce_plane(result: CeaResult, ax: Any = None) -> Any:
    """Incremental costs against incremental QALYs of each strategy vs the first one, one point per draw,
    with the threshold lines of the price set."""
    assert result.psa is not None
    ax = new_axes(ax, (7, 4.8))
    costs, qalys = result.psa.arrays()
    names = result.psa.strategies
    for i, name in enumerate(names[1:], start=1):
        ax.scatter(qalys[:, i] - qalys[:, 0], costs[:, i] - costs[:, 0], s=10, alpha=0.6, label=f"{name} vs {names[0]}")
    span = np.abs(qalys[:, 1:] - qalys[:, :1]).max(initial=0.1)
    x = np.linspace(-span, span, 2)
    for t in result.thresholds:
        ax.plot(x, t * x, linestyle="--", linewidth=1, label=f"{t:,.0f} {result.prices.currency}/QALY")
    ax.axhline(0, color="k", linewidth=0.5)
    ax.axvline(0, color="k", linewidth=0.5)
    ax.set(
        xlabel="incremental QALYs (discounted)",
        ylabel=f"incremental costs ({result.prices.currency} {result.prices.price_year})",
        title="Cost-effectiveness plane",
    )
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return ax


def plot_acceptability(result: CeaResult, ax: Any = None) -> Any:
    """CEAC of every strategy and the frontier (the strategy of highest expected NMB, marked)."""
    assert result.psa is not None
    ax = new_axes(ax, (7, 4.8))
    psa = result.psa
    grid = np.asarray(psa.thresholds)
    for i, name in enumerate(psa.strategies):
        ax.plot(grid, psa.acceptability[:, i], label=name)
    ax.scatter(grid, psa.frontier_probability, s=12, color="k", marker="x", label="frontier (highest expected NMB)")
    for t in result.thresholds:
        ax.axvline(t, color="grey", linestyle=":", linewidth=1)
    ax.set(
        xlabel=f"threshold ({result.prices.currency} per QALY)",
        ylabel="probability cost-effective",
        ylim=(-0.02, 1.02),
        title="Acceptability curves and frontier",
    )
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return ax


def render_html(result: CeaResult, pictures: list[Path]) -> str:
    """One page: the incremental table, EVPI and the plots (embedded)."""
    data = result.to_dict()
    money = f"{data['currency']} {data['price_year']}"
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(v))}</td>"
            for v in (
                s["name"],
                f"{s['costs']:,.0f}",
                f"{s['qalys']:.3f}",
                f"{s['life_years']:.3f}",
                s["status"],
                "" if s["icer"] is None else f"{s['icer']:,.0f}",
            )
        )
        + "</tr>"
        for s in data["strategies"]
    )
    evpi = "".join(
        f"<li>EVPI per patient at {html.escape(t)}/QALY: {v:,.0f}</li>"
        for t, v in data.get("psa", {}).get("evpi_per_patient", {}).items()
    )
    images = "".join(
        f'<img alt="{p.stem}" src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
        for p in pictures
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Cost-effectiveness</title></head><body>"
        f"<h1>Cost-effectiveness: {html.escape(data['case_id'])}</h1>"
        f"<p>{data['patients']} patients, {data['years']:g} years, seed {data['seed']}; {html.escape(money)}; "
        f"discount {data['discount']['costs']:.1%} costs, {data['discount']['qalys']:.1%} QALYs; "
        f"{html.escape(data['price_set'])}.</p>"
        "<table><tr><th>strategy</th><th>costs</th><th>QALYs</th><th>life-years</th><th>status</th><th>ICER</th></tr>"
        f"{rows}</table><ul>{evpi}</ul>{images}"
        "<p>Simulation from published trial results and list prices; decision support, not a substitute for "
        "a health-technology assessment.</p></body></html>"
    )
