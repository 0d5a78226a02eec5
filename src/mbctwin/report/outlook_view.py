"""Outlook figures as people read them: rounded to the precision 2,000 simulated patients support, each
median with its 95 % interval, and the cross-trial caveat beside any comparison of options.

Shared by the web page and the printable report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mbctwin.report.outlook import Outlook

CROSS_TRIAL = (
    "The options' figures come from different trials in different populations: they are not a head-to-head "
    "comparison, and the ranking follows the guidelines' evidence, not these simulated numbers. Where the "
    "95 % intervals overlap, the model cannot tell the options apart."
)


def months(value: float | None) -> str:
    """Months at the precision a simulated median supports: whole months from 10 up, one decimal below."""
    if value is None:
        return "not reached"
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _interval(ci: Any) -> str:
    low, high = (ci or (None, None))[:2]
    return f"{months(low)}\u2013{months(high)}" if low is not None or high is not None else "not estimable"


@dataclass(frozen=True)
class AlternativeView:
    regimen: str
    median: str
    interval: str
    overlaps: bool


@dataclass(frozen=True)
class OutlookView:
    median: str
    interval: str
    alive: str
    pfs: str
    qalys: str
    life_years: str
    alternatives: list[AlternativeView]
    caveat: str = CROSS_TRIAL


def _overlap(a: Any, b: Any) -> bool:
    lo_a, hi_a = (a or (None, None))[:2]
    lo_b, hi_b = (b or (None, None))[:2]
    lo_a, lo_b = lo_a if lo_a is not None else 0.0, lo_b if lo_b is not None else 0.0
    hi_a, hi_b = hi_a if hi_a is not None else float("inf"), hi_b if hi_b is not None else float("inf")
    return lo_a <= hi_b and lo_b <= hi_a


def outlook_view(result: Outlook) -> OutlookView:
    """The outlook's figures rounded for reading (2,000 simulated patients support whole months and percents)."""
    s = result.summary
    alive = s["alive_percent"]
    pfs = "; ".join(f"line {line}: {months(m)} months" for line, m in s["pfs_median_months_by_line"].items())
    return OutlookView(
        median=months(s["os_median_months"]),
        interval=_interval(s["os_median_ci95"]),
        alive=" / ".join(f"{alive[k]:.0f} %" for k in ("1y", "2y", "5y")),
        pfs=pfs or "not estimable",
        qalys=f"{s['qalys_mean']:.1f}",
        life_years=f"{s['life_years_mean']:.1f}",
        alternatives=[
            AlternativeView(
                a.regimen,
                months(a.os_median_months),
                _interval(a.os_median_ci95),
                _overlap(a.os_median_ci95, s["os_median_ci95"]),
            )
            for a in result.alternatives
        ],
    )
