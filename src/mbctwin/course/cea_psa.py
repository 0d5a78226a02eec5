"""Probabilistic cost-effectiveness: PSA draws (``psa.py``) with every strategy simulated in each draw.

Draw *d* takes ``psa.draw_seeds(seed, draws)[d]``: its parameter seed draws the structural parameters
and the efficacy of the knowledge base (once, shared by all strategies of the draw), its simulation
seed runs every strategy (common random numbers within the draw), and a stream derived from it draws
the body sizes. A draw depends on nothing else, so serial runs and any Dask scheduler give the same
table. Prices are not drawn: list prices are fixed by the price set and its unit costs carry no
published spread (partial EVPI is therefore reported for the model's parameter groups only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mbctwin.case.models import Case
from mbctwin.course.cea import BODY_SIZE_STREAM, CeaPsa, Costing, curves, strategy_means
from mbctwin.course.cohort import from_case
from mbctwin.course.model import CourseModel
from mbctwin.course.params import CourseParams
from mbctwin.course.policy import Policy
from mbctwin.course.prices import PriceSet
from mbctwin.course.psa import DrawSetup, SeedPair, Uncertainty, _Memoised, flat_values, run_draws
from mbctwin.knowledge.loader import KnowledgeBase

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class _Setup(DrawSetup):
    strategies: Mapping[str, Policy]
    prices: PriceSet


def _body_seed(simulation: np.random.SeedSequence) -> np.random.SeedSequence:
    return np.random.SeedSequence(simulation.entropy, spawn_key=(*simulation.spawn_key, BODY_SIZE_STREAM))


def run_draw(setup: _Setup, index: int, seeds: SeedPair) -> dict[str, float]:
    """One draw: every strategy's mean discounted costs and QALYs, then the drawn parameter values."""
    params, kb = setup.drawn(seeds)
    cohort = from_case(setup.case, setup.patients)
    costing = Costing.build(setup.prices, params.utilities, setup.kb, setup.patients, _body_seed(seeds[1]))
    row: dict[str, float] = {"draw": index}
    for name, policy in setup.strategies.items():
        result = CourseModel(params=params, policy=policy, kb=kb).simulate(cohort, years=setup.years, seed=seeds[1])
        means = strategy_means(costing.price(result))
        row[f"costs.{name}"] = means["costs"]
        row[f"qalys.{name}"] = means["qalys"]
        row[f"life_years.{name}"] = means["life_years"]
    return {**row, **flat_values(params, setup.uncertainty)}


def parameter_groups(table: pd.DataFrame, uncertainty: Uncertainty) -> dict[str, list[str]]:
    """Drawn columns by top-level parameter field (``utilities``, ``frailty_variance``, ...), varying ones only."""
    groups: dict[str, list[str]] = {}
    for name in uncertainty.parameters:
        columns = [c for c in table.columns if (c == name or c.startswith(f"{name}.")) and table[c].nunique() > 1]
        groups[name] = columns
    return groups


def run_cea_psa(
    case: Case,
    strategies: Mapping[str, Policy],
    draws: int,
    patients: int,
    years: float,
    seed: int,
    prices: PriceSet,
    params: CourseParams,
    kb: KnowledgeBase,
    scheduler: str | None = None,
    progress: Progress | None = None,
    uncertainty: Uncertainty | None = None,
) -> CeaPsa:
    """``draws`` probabilistic draws of every strategy; curves and value of information over them."""
    uncertainty = uncertainty or Uncertainty.from_file()
    memoised = {name: _Memoised(policy, kb) for name, policy in strategies.items()}
    setup = _Setup(case, patients, years, params, kb, uncertainty, strategies=memoised, prices=prices)
    offset = len(strategies)  # the deterministic runs came first

    def report(done: int, total: int) -> None:
        if progress:
            progress(offset + done, offset + total)

    table = run_draws(run_draw, setup, draws, seed, scheduler, progress=report)
    return curves(table, list(strategies), list(prices.thresholds.per_qaly), parameter_groups(table, uncertainty))
