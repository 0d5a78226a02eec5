"""The costs tab of the outlook and the report: what the outlook's simulated runs cost under a price set.

The outlook already simulates the same virtual patients under the recommended plan and with each of the
plan's next options first (common random numbers); pricing those runs (``mbctwin.course.cea.Costing``)
gives mean discounted costs, QALYs and life-years per option, the incremental analysis (dominance,
extended dominance, ICERs) and net monetary benefit at the price set's thresholds. Figures are rounded
here for reading (the simulation of a few thousand patients supports whole currency units per hundred
and QALYs to two decimals); ``mbc cea`` gives the unrounded figures and the probabilistic analysis.
Nothing here is imported unless a price set is chosen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from mbctwin.course.cea import Costing, StrategyResult
from mbctwin.course.costs import CATEGORIES
from mbctwin.course.params import Utilities
from mbctwin.course.prices import PriceSet
from mbctwin.course.result import CourseResult
from mbctwin.knowledge.loader import KnowledgeBase

BODY_SIZE_STREAM = 0xC057  # the body sizes of the outlook's patients, a stream beside its simulation seed
STATUS_TEXT = {
    "reference": "reference (least costly)",
    "on_frontier": "on the frontier",
    "dominated": "dominated",
    "extendedly_dominated": "extendedly dominated",
}


@dataclass(frozen=True)
class CostRow:
    """One option as read: rounded figures, its status and ICER in words."""

    option: str
    costs: str
    qalys: str
    life_years: str
    status: str
    icer: str
    nmb: tuple[str, ...]  # net monetary benefit at each threshold, in ``CostTable.thresholds`` order
    by_category: tuple[str, ...]  # discounted costs per category, in ``CostTable.categories`` order


@dataclass(frozen=True)
class CostTable:
    """The costs tab: the price set, its settings and one row per simulated option."""

    price_set: str
    price_set_name: str
    currency: str
    price_year: int
    perspective: str
    discount: str
    thresholds: tuple[str, ...]
    categories: tuple[str, ...]
    rows: tuple[CostRow, ...]
    not_priced: tuple[str, ...]  # drugs of these runs without a price, then the price set's other gaps
    at_zero: tuple[str, ...] = ()  # what the price set charges nothing for on purpose, with the reason

    def html(self) -> Markup:
        """The tab as an HTML fragment (``templates/_costs.html``), for the web page and the report alike."""
        template = _environment().get_template("_costs.html")
        return Markup(template.render(table=self))


def _environment() -> Environment:
    return Environment(loader=PackageLoader("mbctwin.report", "templates"), autoescape=select_autoescape())


def _money(value: float, currency: str) -> str:
    return f"{currency} {value:,.0f}"


def _row(result: StrategyResult, currency: str, thresholds: list[float]) -> CostRow:
    icer = ""
    if result.icer is not None:
        icer = f"{_money(result.icer, currency)} per QALY vs {result.compared_with}"
    return CostRow(
        option=result.name,
        costs=_money(result.costs, currency),
        qalys=f"{result.qalys:.2f}",
        life_years=f"{result.life_years:.2f}",
        status=STATUS_TEXT[result.status.value],
        icer=icer,
        nmb=tuple(_money(t * result.qalys - result.costs, currency) for t in thresholds),
        by_category=tuple(_money(result.costs_by_category[c], currency) for c in CATEGORIES),
    )


def cost_table(
    results: Mapping[str, CourseResult],
    price_set: str,
    utilities: Utilities,
    kb: KnowledgeBase,
    seed: int,
) -> CostTable:
    """Price the outlook's runs (same patients, same seed) with the packaged price set ``price_set``."""
    prices = PriceSet.packaged(price_set)
    patients = len(next(iter(results.values())).patients)
    costing = Costing.build(prices, utilities, kb, patients, np.random.SeedSequence((seed, BODY_SIZE_STREAM)))
    compared, unpriced = costing.compare(results)
    thresholds = list(prices.thresholds.per_qaly)
    costs, qalys = prices.discount.costs.value, prices.discount.qalys.value
    return CostTable(
        price_set=price_set,
        price_set_name=prices.name,
        currency=prices.currency,
        price_year=prices.price_year,
        perspective=prices.perspective,
        discount=f"costs {costs:.1%}, QALYs {qalys:.1%} a year",
        thresholds=tuple(_money(t, prices.currency) for t in thresholds),
        categories=tuple(c.replace("_", " ") for c in CATEGORIES),
        rows=tuple(_row(r, prices.currency, thresholds) for r in compared),
        not_priced=tuple(f"{item}: {why}" for item, why in (*sorted(unpriced.items()), *prices.gaps().items())),
        at_zero=tuple(f"{item}: {why}" for item, why in prices.zeros().items()),
    )
