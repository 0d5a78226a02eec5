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
from typing import Any

import numpy as np
import pandas as pd

from mbctwin.case.models import Case
from mbctwin.course.cea import BODY_SIZE_STREAM, CeaPsa, Costing, curves, strategy_means
from mbctwin.course.cohort import from_case
from mbctwin.course.model import CourseModel
from mbctwin.course.params import CourseParams
from mbctwin.course.policy import Policy
from mbctwin.course.prices import PriceSet
from mbctwin.course.psa import Uncertainty, _Memoised, draw_kb, draw_params, draw_seeds, flat_values
from mbctwin.knowledge.loader import KnowledgeBase
from mbctwin.parallel import map_tasks

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class _Setup:
    case: Case
    strategies: Mapping[str, Policy]
    patients: int
    years: float
    prices: PriceSet
    params: CourseParams
    kb: KnowledgeBase
    uncertainty: Uncertainty


@dataclass(frozen=True)
class _Task:
    setup: _Setup
    draws: tuple[int, ...]
    seeds: tuple[tuple[np.random.SeedSequence, np.random.SeedSequence], ...]


def _body_seed(simulation: np.random.SeedSequence) -> np.random.SeedSequence:
    return np.random.SeedSequence(simulation.entropy, spawn_key=(*simulation.spawn_key, BODY_SIZE_STREAM))


def run_draw(
    setup: _Setup, index: int, seeds: tuple[np.random.SeedSequence, np.random.SeedSequence]
) -> dict[str, float]:
    """One draw: every strategy's mean discounted costs and QALYs, then the drawn parameter values."""
    rng = np.random.default_rng(seeds[0])
    params = draw_params(setup.params, setup.uncertainty, rng)
    kb = draw_kb(setup.kb, setup.uncertainty.efficacy, params.weibull_shape, rng)
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


def _run_task(task: _Task) -> list[dict[str, float]]:
    return [run_draw(task.setup, i, s) for i, s in zip(task.draws, task.seeds, strict=True)]


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
    setup = _Setup(case, memoised, patients, years, prices, params, kb, uncertainty)
    seeds = draw_seeds(seed, draws)
    size = 1 if scheduler is None else max(1, -(-draws // 8))
    tasks = [
        _Task(setup, tuple(range(start, min(start + size, draws))), tuple(seeds[start : start + size]))
        for start in range(0, draws, size)
    ]
    offset = len(strategies)

    def report(done: int, total: int) -> None:
        if progress:
            progress(offset + done * draws // total, offset + draws)

    done = map_tasks(_run_task, tasks, scheduler=scheduler, progress=report)
    rows: list[dict[str, Any]] = [row for task_rows in done for row in task_rows]
    table = pd.DataFrame(rows).sort_values("draw", ignore_index=True)
    return curves(table, list(strategies), list(prices.thresholds.per_qaly), parameter_groups(table, uncertainty))
