"""Outlook: simulated overall survival and first-line PFS for a cohort like this case, as inline SVG.

The patient-course simulator (``mbctwin.course``) runs a small cohort drawn from the case under the
engine's policy; the curves are Kaplan-Meier estimates with 95 % bands. It is a model of patients
like this one, not a prediction for this patient (calibration status: ``docs/course.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from mbctwin.case.models import Case
from mbctwin.knowledge.loader import KnowledgeBase

if TYPE_CHECKING:
    from mbctwin.report.costs import CostTable

PATIENTS = 2000
YEARS = 10
SEED = 1


@dataclass(frozen=True)
class Canvas:
    """Chart size and margins (px). The narrow canvas keeps 12 px text legible on a phone: its legend sits
    below the plot instead of over the curves."""

    width: int
    height: int
    left: int = 62
    right: int = 16
    top: int = 18
    bottom: int = 44
    legend_below: bool = False

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom - (LEGEND_ROWS * 20 if self.legend_below else 0)


LEGEND_ROWS = 4
WIDE = Canvas(660, 330)
NARROW = Canvas(360, 300 + LEGEND_ROWS * 20, left=44, right=10, legend_below=True)


ALTERNATIVES = 2  # the plan's next-ranked first-line options, simulated beside the recommended one
ALTERNATIVE_STYLES = (("#5b6b82", "2 3"), ("#7a4fa3", "10 3 2 3"))


@dataclass(frozen=True)
class Alternative:
    """Overall survival if the patient started on another option of the plan (the engine after it)."""

    regimen: str
    os_median_months: float | None
    life_years_mean: float
    os_median_ci95: tuple[float | None, float | None] = (None, None)


@dataclass(frozen=True)
class Outlook:
    summary: dict[str, Any]
    svg: str
    patients: int
    years: int
    seed: int
    alternatives: tuple[Alternative, ...] = ()
    svg_narrow: str = ""
    costs: CostTable | None = None  # the costs tab, when a price set was chosen (report/costs.py)


def _curve(durations: np.ndarray, events: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, ...]:
    from mbctwin.course import survival

    times, curve, low, high = survival.km_curve(durations, events)
    at = np.searchsorted(times, grid, side="right") - 1
    at = np.clip(at, 0, len(times) - 1)
    return curve[at], low[at], high[at]


def _xy(c: Canvas, month: float, p: float, years: int) -> tuple[float, float]:
    x = c.left + month / (years * 12) * (c.width - c.left - c.right)
    y = c.top + (1 - p) * (c.plot_bottom - c.top)
    return round(x, 1), round(y, 1)


def _line(c: Canvas, grid: np.ndarray, values: np.ndarray, years: int) -> str:
    return " ".join(f"{x},{y}" for x, y in (_xy(c, m, v, years) for m, v in zip(grid, values, strict=True)))


def _band(c: Canvas, grid: np.ndarray, low: np.ndarray, high: np.ndarray, years: int) -> str:
    upper = [_xy(c, m, v, years) for m, v in zip(grid, high, strict=True)]
    lower = [_xy(c, m, v, years) for m, v in zip(grid[::-1], low[::-1], strict=True)]
    return " ".join(f"{x},{y}" for x, y in upper + lower)


def _axes(c: Canvas, years: int) -> str:
    parts = []
    for p in (0, 0.25, 0.5, 0.75, 1):
        x0, y = _xy(c, 0, p, years)
        x1, _ = _xy(c, years * 12, p, years)
        parts.append(
            f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#e3e8ef"/>'
            f'<text x="{x0 - 6}" y="{y + 4}" text-anchor="end">{int(p * 100)} %</text>'
        )
    for year in range(0, years + 1, 2):
        x, y = _xy(c, year * 12, 0, years)
        parts.append(f'<text x="{x}" y="{y + 18}" text-anchor="middle">{year}</text>')
    x, y = _xy(c, years * 6, 0, years)
    parts.append(f'<text x="{x}" y="{y + 36}" text-anchor="middle">years from start of this line</text>')
    return "".join(parts)


def _legend_at(c: Canvas, row: int) -> tuple[int, int]:
    if c.legend_below:
        return c.left - 30, c.plot_bottom + 58 + row * 20
    return c.width - 320, c.top + 14 + row * 20


def _os(result: Any, grid: np.ndarray) -> tuple[np.ndarray, ...]:
    return _curve(result.patients["os_months"].to_numpy(), result.patients["died"].to_numpy(), grid)


def outlook_svg(
    result: Any, years: int, alternatives: list[tuple[str, Any]] | None = None, canvas: Canvas = WIDE
) -> str:
    """OS (solid) and first-line PFS (dashed) with 95 % bands, plus OS if another option came first
    (dotted); line style, not only colour, tells them apart."""
    grid = np.linspace(0, years * 12, years * 24 + 1)
    first = int(result.lines["line"].min())
    durations, progressed = result.line_pfs(first)
    pfs = _curve(durations, progressed, grid)
    series = [
        ("Overall survival (recommended)", _os(result, grid), "#1d4f91", ""),
        (f"Progression-free, line {first}", pfs, "#c2570c", "7 4"),
    ]
    for (label, other), (colour, dash) in zip(alternatives or [], ALTERNATIVE_STYLES, strict=False):
        series.append((f"OS if {label} first", _os(other, grid), colour, dash))
    c = canvas
    body = [_axes(c, years)]
    for _, (curve, low, high), colour, dash in series:
        body.append(f'<polygon points="{_band(c, grid, low, high, years)}" fill="{colour}" fill-opacity="0.14"/>')
        body.append(
            f'<polyline points="{_line(c, grid, curve, years)}" fill="none" stroke="{colour}" stroke-width="2.4"'
            f' stroke-dasharray="{dash}"/>'
        )
    for i, (label, _, colour, dash) in enumerate(series):
        x, y = _legend_at(c, i)
        body.append(
            f'<line x1="{x}" y1="{y}" x2="{x + 28}" y2="{y}" stroke="{colour}" stroke-width="2.4"'
            f' stroke-dasharray="{dash}"/><text x="{x + 36}" y="{y + 4}">{escape(label)}</text>'
        )
    title = "Simulated overall and progression-free survival with 95 % confidence bands"
    return (
        f'<svg class="outlook-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {c.width} {c.height}"'
        f' width="{c.width}" height="{c.height}" role="img" aria-label="{title}"'
        f' font-family="system-ui, DejaVu Sans, sans-serif" font-size="12" fill="#44536a">'
        f"<title>{title}</title>{''.join(body)}</svg>"
    )


def _alternative(label: str, result: Any) -> Alternative:
    summary = result.to_dict()
    low, high = summary["os_median_ci95"]
    life_years = round(float(result.patients["life_years"].mean()), 3)
    return Alternative(label, summary["os_median_months"], life_years, (low, high))


def simulate_outlook(
    case: Case,
    kb: KnowledgeBase,
    *,
    patients: int = PATIENTS,
    years: int = YEARS,
    seed: int = SEED,
    progress: Callable[[float], None] | None = None,
    price_set: str | None = None,
) -> Outlook:
    """Simulate ``patients`` like ``case`` for ``years`` under the engine policy (same seed, same curves),
    and again starting with each of the plan's next options (common random numbers).

    ``progress`` receives the fraction done (0..1) after each chunk of each run, for a progress bar.
    ``price_set`` (a packaged price set id) adds the costs tab: the same runs priced."""
    from mbctwin.course.params import CourseParams
    from mbctwin.course.simulation import simulate
    from mbctwin.engine.plan import build_plan

    params = CourseParams.from_file()
    systemic = build_plan(case, kb).systemic
    options = systemic[1 : 1 + ALTERNATIVES]
    runs = 1 + len(options)

    def run(index: int, first_line: list[str] | None = None) -> Any:
        def step(done: int, total: int) -> None:
            if progress is not None:
                progress((index + done / max(total, 1)) / runs)

        return simulate(
            case, first_line, patients=patients, years=years, seed=seed, kb=kb, params=params, progress=step
        )

    result = run(0)
    others = [(option.regimen, run(index, option.drugs)) for index, option in enumerate(options, start=1)]
    alternatives = tuple(_alternative(label, other) for label, other in others)
    costs = None
    if price_set is not None:
        from mbctwin.report.costs import cost_table

        recommended = f"{systemic[0].regimen} (recommended)" if systemic else "recommended plan"
        costs = cost_table({recommended: result, **dict(others)}, price_set, params.utilities, kb, seed)
    return Outlook(
        result.to_dict(),
        outlook_svg(result, years, others),
        patients,
        years,
        seed,
        alternatives,
        svg_narrow=outlook_svg(result, years, others, NARROW),
        costs=costs,
    )
