r"""Decision rules of cost-effectiveness analysis: incremental analysis, net benefit, acceptability,
and the expected value of perfect information. Pure functions of costs and QALYs, no simulation.

**Incremental analysis** (Drummond, Sculpher, Claxton, Stoddart & Torrance, *Methods for the Economic
Evaluation of Health Care Programmes*, 4th ed., 2015; the same steps as dampack's ``calculate_icers``):
strategies are ordered by cost; one costing more than another while yielding no more QALYs is
*dominated*; among the rest, ordered by cost, each ICER is the incremental cost over the incremental
QALYs against the previous strategy, and a strategy whose ICER exceeds the next one's is *extendedly
dominated* (a mix of its neighbours would buy the same QALYs for less); it is removed and the ICERs
recomputed until they increase. The cheapest strategy left is the *reference*; the others lie *on the
frontier*, with their ICER against the previous frontier strategy.

**Net monetary benefit** at a threshold :math:`\lambda`: :math:`NMB = \lambda\,Q - C`. The strategy of
highest expected NMB is the one the ICERs recommend at that threshold.

**Acceptability** (CEAC, Van Hout et al. 1994): over probabilistic draws, the share of draws in which
each strategy has the highest NMB; the **frontier** (CEAF, Fenwick, Claxton & Sculpher 2001) marks,
at each threshold, the strategy of highest *expected* NMB and its probability of being optimal.

**Expected value of perfect information** per patient: :math:`EVPI = E_\theta[\max_d NB_d(\theta)] -
\max_d E_\theta[NB_d(\theta)]` over draws :math:`\theta`. For two strategies whose NB difference is
normal with mean :math:`\mu` and SD :math:`\sigma` it is the unit normal loss integral,
:math:`\sigma\,\phi(\mu/\sigma) - |\mu|\,\Phi(-|\mu|/\sigma)` (Raiffa & Schlaifer 1961), the known answer
the tests check. Partial EVPI of a parameter group is in :mod:`mbctwin.course.evppi`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class Status(StrEnum):
    reference = "reference"
    on_frontier = "on_frontier"
    dominated = "dominated"
    extendedly_dominated = "extendedly_dominated"


@dataclass(frozen=True)
class Incremental:
    """One strategy's place in the incremental analysis; ``icer`` is ``None`` off the frontier and for
    the reference; ``compared_with`` names the previous frontier strategy."""

    name: str
    costs: float
    qalys: float
    status: Status
    icer: float | None = None
    compared_with: str | None = None
    incremental_costs: float | None = None
    incremental_qalys: float | None = None


def incremental_analysis(names: Sequence[str], costs: Sequence[float], qalys: Sequence[float]) -> list[Incremental]:
    """Statuses and ICERs of every strategy, in the order given (see the module docstring)."""
    if not (len(names) == len(costs) == len(qalys)) or not names:
        raise ValueError("give one cost and one QALY figure per strategy, at least one strategy")
    order = sorted(range(len(names)), key=lambda i: (costs[i], -qalys[i], i))
    status: dict[int, Status] = {}
    kept: list[int] = []
    for i in order:
        if kept and qalys[i] <= max(qalys[j] for j in kept):
            status[i] = Status.dominated  # costs at least as much as a kept strategy, no more QALYs
        else:
            kept.append(i)
    frontier = _remove_extended_dominance(kept, costs, qalys, status)
    results: dict[int, Incremental] = {}
    for position, i in enumerate(frontier):
        if position == 0:
            results[i] = Incremental(names[i], costs[i], qalys[i], Status.reference)
            continue
        previous = frontier[position - 1]
        delta_cost, delta_qaly = costs[i] - costs[previous], qalys[i] - qalys[previous]
        results[i] = Incremental(
            names[i],
            costs[i],
            qalys[i],
            Status.on_frontier,
            icer=delta_cost / delta_qaly,
            compared_with=names[previous],
            incremental_costs=delta_cost,
            incremental_qalys=delta_qaly,
        )
    for i, off in status.items():
        results[i] = Incremental(names[i], costs[i], qalys[i], off)
    return [results[i] for i in range(len(names))]


def _remove_extended_dominance(
    kept: list[int], costs: Sequence[float], qalys: Sequence[float], status: dict[int, Status]
) -> list[int]:
    """Drop strategies whose ICER exceeds the next one's until the ICERs increase along the frontier."""
    frontier = list(kept)
    while len(frontier) > 2:
        icers = [(costs[b] - costs[a]) / (qalys[b] - qalys[a]) for a, b in itertools.pairwise(frontier)]
        worse = next((k for k in range(len(icers) - 1) if icers[k] > icers[k + 1]), None)
        if worse is None:
            break
        status[frontier[worse + 1]] = Status.extendedly_dominated
        del frontier[worse + 1]
    return frontier


def net_monetary_benefit(costs: np.ndarray, qalys: np.ndarray, threshold: float) -> np.ndarray:
    """:math:`\\lambda Q - C`, elementwise (any shape)."""
    return threshold * np.asarray(qalys, dtype=float) - np.asarray(costs, dtype=float)


def optimal_by_draw(costs: np.ndarray, qalys: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Index of the strategy of highest NMB in each draw at each threshold: shape (thresholds, draws).

    ``costs`` and ``qalys`` have shape (draws, strategies). Ties go to the first strategy."""
    lam = np.asarray(thresholds, dtype=float)[:, None, None]
    return np.argmax(lam * qalys[None] - costs[None], axis=2)


def acceptability(costs: np.ndarray, qalys: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """CEAC: share of draws in which each strategy is optimal, shape (thresholds, strategies)."""
    best = optimal_by_draw(costs, qalys, thresholds)
    strategies = costs.shape[1]
    return np.stack([(best == s).mean(axis=1) for s in range(strategies)], axis=1)


def frontier(costs: np.ndarray, qalys: np.ndarray, thresholds: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """CEAF: (index of the strategy of highest expected NMB, its probability of being optimal) per threshold."""
    expected = np.asarray(thresholds, dtype=float)[:, None] * qalys.mean(axis=0) - costs.mean(axis=0)
    chosen = np.argmax(expected, axis=1)
    shares = acceptability(costs, qalys, thresholds)
    return chosen, shares[np.arange(len(chosen)), chosen]


def evpi(net_benefit: np.ndarray) -> float:
    """Per-patient EVPI from NB draws of shape (draws, strategies)."""
    nb = np.asarray(net_benefit, dtype=float)
    return float(nb.max(axis=1).mean() - nb.mean(axis=0).max())
