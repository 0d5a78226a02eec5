"""Cost-effectiveness analysis of treatment strategies on the patient-course simulator (``mbc cea``).

Every strategy runs on the same virtual patients with the same seed (common random numbers: the
same cohort, the same body sizes, the same block seeds), so differences come from the strategies and
not from sampling noise. Costs and discounted QALYs are accrued on each run (``costs.py``), then
compared by incremental analysis (``economics.py``). With ``draws`` (probabilistic analysis) each draw
takes its parameters from ``psa.py``'s uncertainty (the same draw for every strategy) and gives
mean costs and QALYs per strategy; acceptability curves, the frontier, EVPI and partial EVPI by
parameter group (``evppi.py``) are computed over the draws. Draws run on a Dask scheduler as PSA does,
with identical results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mbctwin.case.models import Case
from mbctwin.course import economics
from mbctwin.course.cohort import from_case
from mbctwin.course.compare import strategy_courses
from mbctwin.course.costs import CATEGORIES, BodySizes, CostedCourse, Schedule, ScheduleOf, accrue
from mbctwin.course.evppi import evppi
from mbctwin.course.params import CourseParams, Utilities
from mbctwin.course.policy import Policy
from mbctwin.course.prices import PriceSet
from mbctwin.course.result import CourseResult
from mbctwin.knowledge.loader import KnowledgeBase, load_kb
from mbctwin.results import Result, figure_of

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

BODY_SIZE_STREAM = 0xB0D7  # the body sizes' own random stream beside the simulation's seed
CEAC_POINTS = 61
Progress = Callable[[int, int], None]


def knowledge_schedules(kb: KnowledgeBase) -> ScheduleOf:
    """Each drug's schedule in a regimen, from the knowledge base's dose data (``kb.dosing``): the
    regimen's own schedule of the drug when it has one (weekly paclitaxel), else the drug's default;
    None when the knowledge base has no schedule for it (the drug is then reported as not priced)."""
    regimen_ids = {frozenset(r.drugs): r.id for r in kb.regimens.values()}

    def schedule_of(drugs: tuple[str, ...], drug: str) -> Schedule | None:
        return kb.dosing.schedule(drug, regimen_ids.get(frozenset(drugs)))

    return schedule_of


def knowledge_adverse_events(kb: KnowledgeBase) -> dict[frozenset[str], dict[str, float]]:
    """Grade >= 3 adverse-event proportions per regimen (drug set), from the trial arms that report them
    (``Arm.grade3plus_percent``). Only arms that gave one regimen of the knowledge base count (not a
    physician's-choice list or an arm with partner choices); when several arms give the same drugs, the
    most recently published wins (ties: the larger trial), so a newer safety report replaces an older one."""
    regimens = {frozenset(r.drugs) for r in kb.regimens.values()}
    arms = [
        (source.first_year or 0, effect.n or 0, arm)
        for source in kb.sources.values()
        for effect in source.effects
        for arm in (effect.experimental, effect.control)
        if arm is not None and arm.grade3plus_percent and not arm.partner_choice and frozenset(arm.drugs) in regimens
    ]
    rates: dict[frozenset[str], dict[str, float]] = {}
    for _, _, arm in sorted(arms, key=lambda a: (a[0], a[1])):
        rates[frozenset(arm.drugs)] = {event: percent / 100.0 for event, percent in arm.grade3plus_percent.items()}
    return rates


def cost_items(kb: KnowledgeBase) -> tuple[set[str], set[str], set[str]]:
    """What the accrual can be asked to price with this knowledge base: the drugs that have a dose schedule
    in some regimen, the grade >= 3 adverse events some regimen has rates for, and the care actions the
    local and supportive rules can trigger (``modality (site)`` and supportive classes)."""
    schedule_of = knowledge_schedules(kb)
    drugs = {d for r in kb.regimens.values() for d in r.drugs if schedule_of(tuple(r.drugs), d) is not None}
    events = {e for rates in knowledge_adverse_events(kb).values() for e in rates}
    actions = {f"{rule.modality} ({rule.site})" for rule in kb.local}
    actions |= {c for rule in kb.supportive for c in rule.classes}
    return drugs, events, actions


def body_size_seed(seed: int) -> np.random.SeedSequence:
    return np.random.SeedSequence((seed, BODY_SIZE_STREAM))


@dataclass(frozen=True, kw_only=True)
class StrategyResult(economics.Incremental):
    """Means per patient of one strategy, with its place in the incremental analysis: ``costs`` and ``qalys``
    discounted, ``life_years`` not."""

    life_years: float
    costs_undiscounted: float
    qalys_undiscounted: float
    life_years_discounted: float
    costs_by_category: dict[str, float]

    def to_dict(self, thresholds: list[float]) -> dict[str, Any]:
        return {
            "name": self.name,
            "costs": self.costs,
            "qalys": self.qalys,
            "life_years": self.life_years,
            "status": self.status.value,
            "icer": self.icer,
            "compared_with": self.compared_with,
            "incremental_costs": self.incremental_costs,
            "incremental_qalys": self.incremental_qalys,
            "life_years_discounted": self.life_years_discounted,
            "undiscounted": {
                "costs": self.costs_undiscounted,
                "qalys": self.qalys_undiscounted,
                "life_years": self.life_years,
            },
            "costs_by_category": self.costs_by_category,
            "nmb": {f"{t:g}": t * self.qalys - self.costs for t in thresholds},
        }


@dataclass(frozen=True)
class CeaPsa:
    """Probabilistic results: ``table`` one row per draw (each strategy's mean costs and QALYs, then the
    drawn parameters); curves over ``thresholds``; EVPI and partial EVPI per patient."""

    table: pd.DataFrame
    strategies: list[str]
    thresholds: list[float]
    acceptability: np.ndarray  # (thresholds, strategies)
    frontier: np.ndarray  # strategy index of highest expected NMB per threshold
    frontier_probability: np.ndarray
    evpi: dict[str, float]
    evppi: dict[str, dict[str, float | None]]  # None: too few draws for the group (evppi.estimable)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        costs = self.table[[f"costs.{s}" for s in self.strategies]].to_numpy()
        qalys = self.table[[f"qalys.{s}" for s in self.strategies]].to_numpy()
        return costs, qalys

    def to_dict(self) -> dict[str, Any]:
        costs, qalys = self.arrays()
        return {
            "draws": len(self.table),
            "mean": {
                s: {"costs": float(costs[:, i].mean()), "qalys": float(qalys[:, i].mean())}
                for i, s in enumerate(self.strategies)
            },
            "acceptability": {
                f"{t:g}": {s: float(self.acceptability[k, i]) for i, s in enumerate(self.strategies)}
                for k, t in enumerate(self.thresholds)
            },
            "frontier": {
                f"{t:g}": {"strategy": self.strategies[int(c)], "probability": float(p)}
                for t, c, p in zip(self.thresholds, self.frontier, self.frontier_probability, strict=True)
            },
            "evpi_per_patient": self.evpi,
            "evppi_per_patient": self.evppi,
            "evppi_method": "Strong, Oakley & Brennan 2014 nonparametric regression (additive penalised splines, GCV)",
        }


@dataclass(frozen=True)
class CeaResult(Result):
    """What ``mbc cea`` reports: ``summary`` one row per strategy, ``to_dict()`` its JSON, ``save(folder)``
    that JSON with (PSA) the draws, the CE plane, the acceptability curves and one HTML page."""

    case_id: str
    patients: int
    years: float
    seed: int
    prices: PriceSet
    strategies: list[StrategyResult]
    unpriced: dict[str, str] = field(default_factory=dict)
    psa: CeaPsa | None = None

    @property
    def thresholds(self) -> list[float]:
        return list(self.prices.thresholds.per_qaly)

    @property
    def summary(self) -> pd.DataFrame:
        """Per strategy: discounted costs and QALYs, life-years, status and ICER against the strategy
        compared with, and the net monetary benefit at each threshold of the price set (``nmb THRESHOLD``)."""
        rows = []
        for strategy in self.strategies:
            data = strategy.to_dict(self.thresholds)
            headline = {key: data[key] for key in SUMMARY_COLUMNS}
            rows.append(headline | {f"nmb {t}": value for t, value in data["nmb"].items()})
        return pd.DataFrame(rows).set_index("name").rename_axis("strategy")

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "case_id": self.case_id,
            "patients": self.patients,
            "years": self.years,
            "seed": self.seed,
            "currency": self.prices.currency,
            "price_year": self.prices.price_year,
            "price_set": self.prices.name,
            "perspective": self.prices.perspective,
            "discount": {"costs": self.prices.discount.costs.value, "qalys": self.prices.discount.qalys.value},
            "thresholds": self.thresholds,
            "strategies": [s.to_dict(self.thresholds) for s in self.strategies],
            "not_priced": self.unpriced,
            "price_set_gaps": self.prices.gaps(),
            "price_set_zeros": self.prices.zeros(),
            "prices_from_other_years": self.prices.off_year(),
        }
        if self.psa is not None:
            data["psa"] = self.psa.to_dict()
        return data

    def tables(self) -> dict[str, pd.DataFrame]:
        """With PSA, ``cea_draws``: each draw's mean costs and QALYs per strategy and its parameters."""
        return {} if self.psa is None else {"cea_draws": self.psa.table}

    def figures(self) -> dict[str, Figure]:
        """With PSA, ``cea_plane`` and ``cea_acceptability``."""
        if self.psa is None:
            return {}
        return {"cea_plane": figure_of(self.plot_ce_plane()), "cea_acceptability": figure_of(self.plot_acceptability())}

    def save(self, folder: str | Path, plots: bool = True) -> list[Path]:
        """``summary.json`` (the JSON of ``mbc cea``), and with PSA ``cea_draws.parquet``, the two plots
        and ``cea.html`` (the table, EVPI and the plots in one page)."""
        from mbctwin.course.cea_plot import render_html

        paths = super().save(folder, plots)
        if self.psa is None:
            return paths
        page = Path(folder) / "cea.html"
        page.write_text(render_html(self, [p for p in paths if p.suffix == ".png"]), encoding="utf-8")
        return [*paths, page]

    def plot_ce_plane(self, ax: Axes | None = None) -> Axes:
        """Incremental costs against incremental QALYs of each strategy vs the first, one point per draw (PSA)."""
        from mbctwin.course.cea_plot import plot_ce_plane

        return plot_ce_plane(self, ax)

    def plot_acceptability(self, ax: Axes | None = None) -> Axes:
        """Acceptability curve of every strategy and the frontier (PSA)."""
        from mbctwin.course.cea_plot import plot_acceptability

        return plot_acceptability(self, ax)


SUMMARY_COLUMNS = (
    "name",
    "costs",
    "qalys",
    "life_years",
    "status",
    "icer",
    "compared_with",
    "incremental_costs",
    "incremental_qalys",
)


def strategy_means(costed: CostedCourse) -> dict[str, Any]:
    means = costed.means()
    return {
        "costs": means["costs"],
        "qalys": means["qalys"],
        "life_years": means["life_years"],
        "costs_undiscounted": means["costs_undiscounted"],
        "qalys_undiscounted": means["qalys_undiscounted"],
        "life_years_discounted": means["life_years_discounted"],
        "costs_by_category": {c: means[f"costs_{c}"] for c in CATEGORIES},
    }


def ranked(names: list[str], means: Mapping[str, Mapping[str, Any]]) -> list[StrategyResult]:
    """Strategy results in the order given, with the incremental analysis' status and ICER."""
    analysis = economics.incremental_analysis(
        names, [means[n]["costs"] for n in names], [means[n]["qalys"] for n in names]
    )
    return [StrategyResult(**{**means[row.name], **asdict(row)}) for row in analysis]


@dataclass(frozen=True)
class Costing:
    """What pricing simulated runs of the same virtual patients needs, built once for all of them: the price
    set, the utilities, each patient's body size, the dose schedules and adverse-event rates."""

    prices: PriceSet
    utilities: Utilities
    bodies: BodySizes
    schedule_of: ScheduleOf
    adverse_events: Mapping[frozenset[str], Mapping[str, float]]

    @classmethod
    def build(
        cls, prices: PriceSet, utilities: Utilities, kb: KnowledgeBase, patients: int, seed: np.random.SeedSequence
    ) -> Costing:
        bodies = BodySizes.draw(prices.body_size, patients, seed)
        return cls(prices, utilities, bodies, knowledge_schedules(kb), knowledge_adverse_events(kb))

    def price(self, result: CourseResult) -> CostedCourse:
        return accrue(result, self.prices, self.utilities, self.bodies, self.schedule_of, ae_rates=self.adverse_events)

    def compare(self, results: Mapping[str, CourseResult]) -> tuple[list[StrategyResult], dict[str, str]]:
        """Each run's means and the incremental analysis in the order given, and what was not priced."""
        means: dict[str, dict[str, Any]] = {}
        unpriced: dict[str, str] = {}
        for name, result in results.items():
            costed = self.price(result)
            unpriced.update(costed.unpriced)
            means[name] = strategy_means(costed)
        return ranked(list(results), means), unpriced


def run_cea(
    case: Case,
    strategies: Mapping[str, Policy],
    patients: int = 2000,
    years: float = 10.0,
    seed: int = 0,
    prices: PriceSet | None = None,
    params: CourseParams | None = None,
    kb: KnowledgeBase | None = None,
    scheduler: str | None = None,
    draws: int = 0,
    progress: Progress | None = None,
) -> CeaResult:
    """Deterministic CEA of ``strategies`` for ``patients`` copies of ``case``; with ``draws`` > 0 a
    probabilistic analysis too (``cea_psa.run_cea_psa``)."""
    kb = kb or load_kb()
    prices = prices or PriceSet.from_file()
    params = params or CourseParams.from_file()
    total = len(strategies) + draws
    step = (lambda done: progress(done, total)) if progress else None
    results = strategy_courses(from_case(case, patients), strategies, years, seed, params, kb, scheduler, step)
    costing = Costing.build(prices, params.utilities, kb, patients, body_size_seed(seed))
    compared, unpriced = costing.compare(results)
    psa = None
    if draws:
        from mbctwin.course.cea_psa import run_cea_psa

        psa = run_cea_psa(case, strategies, draws, patients, years, seed, prices, params, kb, scheduler, progress)
    return CeaResult(case.id or "case", patients, years, seed, prices, compared, unpriced, psa)


def curves(table: pd.DataFrame, names: list[str], thresholds: list[float], groups: dict[str, list[str]]) -> CeaPsa:
    """CEAC, frontier, EVPI and partial EVPI per parameter group from a table of draws."""
    costs = table[[f"costs.{s}" for s in names]].to_numpy()
    qalys = table[[f"qalys.{s}" for s in names]].to_numpy()
    grid = sorted({*np.linspace(0.0, 3 * max(thresholds), CEAC_POINTS).tolist(), *thresholds})
    shares = economics.acceptability(costs, qalys, grid)
    chosen, probability = economics.frontier(costs, qalys, grid)
    evpi = {f"{t:g}": economics.evpi(economics.net_monetary_benefit(costs, qalys, t)) for t in thresholds}
    partial: dict[str, dict[str, float | None]] = {}
    for t in thresholds:
        nb = economics.net_monetary_benefit(costs, qalys, t)
        partial[f"{t:g}"] = {
            group: evppi(nb, table[columns].to_numpy()) for group, columns in groups.items() if columns
        }
    return CeaPsa(table, names, grid, shares, chosen, probability, evpi, partial)
