"""The calibration report: one self-contained HTML file of simulated vs published figures.

What was run (version, seed, scale, date), the pass/fail table of every target, and four plots
as PNG images embedded as base64 data URIs: median OS per arm with the ±15 % band, a forest plot
of OS hazard ratios, Kaplan-Meier OS curves per trial arm, and site percentages per subtype
against their target bands. Same style sheet and disclaimer as the plan report.
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
from markupsafe import Markup

from mbctwin.course import survival
from mbctwin.course.calibration import CalibrationResult, TargetCheck
from mbctwin.course.trial import Published
from mbctwin.engine.contract import DISCLAIMER
from mbctwin.report.render import _environment

PASS, MISS, PUBLISHED, BAND = "#2e7d32", "#b42318", "#123d6e", "#cfdcec"
LEGEND_BELOW: dict[str, Any] = {"fontsize": 7, "loc": "outside lower center", "ncol": 4}
DASH = "\u2013"
KINDS = {"os_median": "median OS (months)", "os_hr": "OS hazard ratio", "site_percent": "site ever (%)"}


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure  # no pyplot: no global state, no display backend

    return Figure(figsize=(width, height), layout="constrained")


def _data_uri(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _colour(check: TargetCheck) -> str:
    return PASS if check.passed else MISS


def _legend_handles(*extra: Any) -> list[Any]:
    from matplotlib.lines import Line2D

    return [
        Line2D([], [], marker="o", ls="", color=PASS, label="simulated, target met"),
        Line2D([], [], marker="o", ls="", color=MISS, label="simulated, missed"),
        *extra,
    ]


def plot_medians(checks: list[TargetCheck]) -> Any:
    """Each arm: the published median (|), the ±15 % band, and the simulated median with its 95 % CI."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    figure = _figure(8, 0.42 * len(checks) + 1.3)
    ax = figure.subplots()
    for y, check in enumerate(checks):
        low, high = check.accepted
        ax.barh(y, high - low, left=low, height=0.6, color=BAND)
        ax.plot([check.published], [y], marker="|", markersize=16, mew=2.5, color=PUBLISHED)
        if check.model is None:
            ax.annotate("not reached", (high, y), xytext=(6, -3), textcoords="offset points", color=MISS)
            continue
        ci = check.model_ci or (check.model, check.model)
        lower = check.model - ci[0] if math.isfinite(ci[0]) else 0.0
        upper = ci[1] - check.model if math.isfinite(ci[1]) else 0.0
        ax.errorbar(check.model, y, xerr=[[lower], [upper]], fmt="o", color=_colour(check), capsize=3)
    ax.set_yticks(range(len(checks)), [f"{c.group} — {c.item}" for c in checks], fontsize=8)
    ax.invert_yaxis()
    ax.set(xlabel="median overall survival (months)", title="Median OS per arm: simulated (95 % CI) vs published")
    ax.set_xlim(left=0)
    ax.grid(axis="x", alpha=0.3)
    figure.legend(
        handles=_legend_handles(
            Line2D([], [], marker="|", ls="", markersize=12, mew=2.5, color=PUBLISHED, label="published"),
            Patch(color=BAND, label="±15 % of published"),
        ),
        **LEGEND_BELOW,
    )
    return figure


def plot_forest(checks: list[TargetCheck]) -> Any:
    """Each trial: simulated OS HR with its 95 % CI, the published HR (◆) and its ±0.12 band."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    figure = _figure(8, 0.5 * len(checks) + 1.3)
    ax = figure.subplots()
    for y, check in enumerate(checks):
        low, high = check.accepted
        ax.barh(y, high - low, left=max(low, 0.01), height=0.6, color=BAND)
        if check.model is not None:  # a hazard ratio is always estimated; kept safe for any check
            model = check.model
            ci = check.model_ci or (model, model)
            xerr = [[model - ci[0]], [ci[1] - model]]
            ax.errorbar(model, y, xerr=xerr, fmt="o", color=_colour(check), capsize=3)
        ax.plot([check.published], [y], marker="D", color=PUBLISHED, markersize=7, ls="")
    ax.axvline(1.0, color="0.4", lw=1)
    ax.set_xscale("log")
    ticks = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_yticks(range(len(checks)), [c.group for c in checks], fontsize=8)
    ax.invert_yaxis()
    ax.set(xlabel="overall survival hazard ratio (experimental vs control, log scale)", title="OS hazard ratios")
    ax.grid(axis="x", alpha=0.3)
    figure.legend(
        handles=_legend_handles(
            Line2D([], [], marker="D", ls="", color=PUBLISHED, label="published"),
            Patch(color=BAND, label="published ±0.12"),
        ),
        **LEGEND_BELOW,
    )
    return figure


def plot_survival(result: CalibrationResult) -> Any:
    """Kaplan-Meier OS per arm of every trial; open circles mark the published medians."""
    trials = [t for t in result.trials if t.report.outcomes]
    columns = min(3, len(trials))
    rows = -(-len(trials) // columns)
    figure = _figure(3.6 * columns, 3.0 * rows)
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    for ax, trial in zip(axes, trials, strict=False):
        published = trial.report.published or Published()
        medians = published.os_median_months or []
        for i, arm in enumerate(trial.report.outcomes):
            times, curve, _, _ = survival.km_curve(arm.os_months, arm.os_event)
            ax.step(times, curve, where="post", color=f"C{i}", label=_short(arm.name))
            if i < len(medians) and medians[i] is not None:
                ax.plot([medians[i]], [0.5], marker="o", mfc="none", mec=f"C{i}", mew=1.8, markersize=8)
        ax.axhline(0.5, color="0.6", lw=0.8, ls=":")
        ax.set_title(f"{trial.name}\nHR {trial.report.os_hr[0]:.2f} (published {published.os_hr})", fontsize=8.5)
        ax.set(ylim=(0, 1.02), xlabel="months", ylabel="overall survival")
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6.5, loc="upper right")
    for ax in axes[len(trials) :]:
        ax.set_visible(False)
    figure.suptitle("Simulated Kaplan-Meier overall survival (○ published median)", fontsize=10)
    return figure


def _short(name: str, width: int = 34) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def plot_sites(result: CalibrationResult) -> Any:
    """Per subtype: the published value or band (dark), the ±8-point acceptance (light), the simulated share."""
    from matplotlib.patches import Patch

    columns = min(2, len(result.sites))
    rows = -(-len(result.sites) // columns)
    figure = _figure(4.2 * columns, 3.0 * rows)
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    for ax, cohort in zip(axes, result.sites, strict=False):
        for x, check in enumerate(cohort.checks):
            low, high = check.published if isinstance(check.published, tuple) else (check.published,) * 2
            ax.bar(x, check.accepted[1] - check.accepted[0], bottom=check.accepted[0], width=0.6, color=BAND)
            ax.bar(x, max(high - low, 0.6), bottom=low - (0.3 if high == low else 0), width=0.6, color=PUBLISHED)
            ax.plot([x], [check.model], marker="o", color=_colour(check), markersize=8, ls="")
        ax.set_xticks(range(len(cohort.checks)), [c.item for c in cohort.checks], fontsize=8)
        ax.set(
            ylabel="% with site ever", ylim=(0, 100), title=f"{cohort.subtype} ({cohort.patients} relapsed patients)"
        )
        ax.title.set_fontsize(9)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(result.sites) :]:
        ax.set_visible(False)
    axes[0].legend(
        handles=_legend_handles(
            Patch(color=PUBLISHED, label="published (band)"),
            Patch(color=BAND, label=f"±{result.site_tolerance:g} points"),
        ),
        fontsize=6.5,
        loc="upper right",
    )
    return figure


def _value(value: float | None, kind: str) -> str:
    if value is None or not math.isfinite(value):
        return "not reached" if kind == "os_median" else DASH
    return f"{value:.2f}" if kind == "os_hr" else f"{value:.1f}"


def _row(check: TargetCheck) -> dict[str, str | bool]:
    kind = check.kind
    model = _value(check.model, kind)
    if check.model_ci is not None and check.model is not None:
        model += f" ({_value(check.model_ci[0], kind)}{DASH}{_value(check.model_ci[1], kind)})"
    published = (
        f"{_value(check.published[0], kind)}{DASH}{_value(check.published[1], kind)}"
        if isinstance(check.published, tuple)
        else _value(check.published, kind)
    )
    if check.deviation is None:
        deviation = DASH
    elif kind == "os_median":
        deviation = f"{check.deviation:+.0%}"
    elif kind == "os_hr":
        deviation = f"{check.deviation:+.2f}"
    else:
        deviation = f"{check.deviation:+.1f} points"
    accepted = f"{_value(check.accepted[0], kind)}{DASH}{_value(check.accepted[1], kind)}"
    if kind == "os_hr":
        accepted += "; published inside CI"
    return {
        "group": check.group,
        "item": check.item,
        "measure": KINDS[kind],
        "model": model,
        "published": published,
        "accepted": accepted,
        "deviation": deviation,
        "passed": check.passed,
    }


def render_calibration_html(result: CalibrationResult) -> str:
    """The report as one HTML document: inline CSS, plots as data URIs, nothing fetched to view or print it."""
    from importlib import resources

    css = resources.files("mbctwin.report").joinpath("templates", "report.css").read_text(encoding="utf-8")
    medians = [c for c in result.checks if c.kind == "os_median"]
    hazard_ratios = [c for c in result.checks if c.kind == "os_hr"]
    plots = []
    if medians:
        plots.append(("Median overall survival per arm", "medians", plot_medians(medians)))
    if hazard_ratios:
        plots.append(("Overall survival hazard ratios", "forest", plot_forest(hazard_ratios)))
    if any(t.report.outcomes for t in result.trials):
        plots.append(("Kaplan-Meier overall survival per trial arm", "survival", plot_survival(result)))
    if result.sites:
        plots.append(("Metastatic sites by subtype", "sites", plot_sites(result)))
    return (
        _environment()
        .get_template("calibration.html")
        .render(
            result=result,
            counts=result.counts(),
            rows=[_row(c) for c in result.checks],
            replicated=[(_row(t.check), f"{t.runs_met}/{t.runs}") for t in result.replicated()],
            plots=[(title, anchor, _data_uri(figure)) for title, anchor, figure in plots],
            disclaimer=DISCLAIMER,
            css=Markup(css),
        )
    )


def write_calibration_report(result: CalibrationResult, out: str | Path) -> Path:
    """Write the HTML report to ``out`` (parent folders are created)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_calibration_html(result), encoding="utf-8")
    return out
