"""Rebuild a virtual patient's state as a case, so any policy (the engine included) can read it.

Distinct states are few (patients share templates and follow the same decisions), so cases
and decisions are memoised by a compact key: template, ECOG, site mask and the ordered
history of (regimen, short-response flag) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mbctwin.case.models import SITES, Case
from mbctwin.course.policy import CrossoverPolicy, Drugs, EnginePolicy, Planner, Policy
from mbctwin.course.rows import unique_rows
from mbctwin.engine.contract import Plan
from mbctwin.engine.plan import build_plan
from mbctwin.knowledge.loader import KnowledgeBase

SHORT_RESPONSE_MONTHS = 6.0  # ABC: progression within 6 months of first-line ET = primary resistance
StateKey = tuple[int, ...]


@dataclass
class RegimenRegistry:
    """Drug tuples <-> small integers, so regimens live in integer arrays."""

    drugs: list[Drugs] = field(default_factory=list)
    index: dict[Drugs, int] = field(default_factory=dict)

    def intern(self, drugs: Drugs) -> int:
        if drugs not in self.index:
            self.index[drugs] = len(self.drugs)
            self.drugs.append(drugs)
        return self.index[drugs]


@dataclass
class StateDecider:
    """Memoised policy decisions keyed by state; returns regimen ids (-1 = supportive care).

    Engine plans are memoised by state too, and shared: the state a progression leads to is both
    decided (the engine policy's next line) and compared for the care it adds (:class:`CareActions`),
    from one plan. A :class:`Planner` policy provides the plans; ``kb`` builds them for the others."""

    templates: tuple[Case, ...]
    policy: Policy
    registry: RegimenRegistry
    kb: KnowledgeBase
    template_policies: dict[int, Policy] = field(default_factory=dict)  # template index -> its own policy
    decisions: dict[StateKey, int] = field(default_factory=dict)
    plans: dict[StateKey, Plan] = field(default_factory=dict)

    def decide(self, keys: np.ndarray, years: np.ndarray | None = None) -> np.ndarray:
        """One decision per row of ``keys`` (int array, see :func:`state_keys`); ``years``, the calendar
        year of each decision (in-silico trials), limits the engine to what was in practice then."""
        rows = keys if years is None else np.column_stack([keys, years])
        unique, inverse = unique_rows(rows)
        if years is None:
            chosen = [self._decide_one(tuple(int(v) for v in row)) for row in unique]
        else:
            chosen = [self._decide_one(tuple(int(v) for v in row[:-1]), int(row[-1])) for row in unique]
        return np.array(chosen, dtype=np.int32)[inverse]

    def plan(self, key: StateKey) -> Plan:
        if key not in self.plans:
            case, policy = self.case_for(key), self.policy
            self.plans[key] = policy.plan_for(case) if isinstance(policy, Planner) else build_plan(case, self.kb)
        return self.plans[key]

    def _decide_one(self, key: StateKey, year: int | None = None) -> int:
        memo = key if year is None else (*key, year)  # keys of one run have one length; a year adds one
        if memo not in self.decisions:
            policy = self.template_policies.get(key[0], self.policy)
            if isinstance(policy, CrossoverPolicy):
                drugs = policy.choose_for(self.case_for(key), self.plan(key), year)
            elif isinstance(policy, EnginePolicy):
                drugs = policy.choose(self.plan(key), year)
            else:
                drugs = policy(self.case_for(key))
            self.decisions[memo] = -1 if drugs is None else self.registry.intern(tuple(drugs))
        return self.decisions[memo]

    def case_for(self, key: StateKey) -> Case:
        template, ecog, site_bits, *history = key
        base = self.templates[template]
        data = base.model_dump(mode="json")
        data["ecog"] = ecog
        data["metastases"] = _metastases(base, site_bits)
        previous = [(history[i], history[i + 1]) for i in range(0, len(history), 2) if history[i] >= 0]
        data["prior_therapies"] = data["prior_therapies"] + [
            {
                "setting": "metastatic",
                "drugs": list(self.registry.drugs[r]),
                "ended_because": "progression",
                "months_on_treatment": 3.0 if short else 12.0,
            }
            for r, short in previous
        ]
        if previous:
            data["visceral_crisis"] = False
            data["prior_therapies"] = [p for p in data["prior_therapies"] if p["ended_because"] != "ongoing"]
        return Case.model_validate(data)


def _metastases(base: Case, site_bits: int) -> list[dict]:
    present: dict[str, dict[str, object]] = {m.site: m.model_dump(mode="json") for m in base.metastases}
    absent: dict[str, object] = {"count": 1, "symptomatic": False, "findings": []}
    sites = [s for i, s in enumerate(SITES) if site_bits >> i & 1]
    return [present.get(s, {"site": s} | absent) for s in sites]


def pack_sites(sites: np.ndarray) -> np.ndarray:
    """Bool (n, n_sites) -> int64 bit mask per patient."""
    weights = np.left_shift(np.int64(1), np.arange(sites.shape[1], dtype=np.int64))
    return sites.astype(np.int64) @ weights


def state_keys(
    template: np.ndarray, ecog: np.ndarray, sites: np.ndarray, history: np.ndarray, short: np.ndarray
) -> np.ndarray:
    """Rows (template, ecog, site bits, regimen_1, short_1, regimen_2, short_2, ...)."""
    pairs = np.stack([history, short.astype(history.dtype)], axis=2).reshape(history.shape[0], -1)
    return np.column_stack([template, ecog, pack_sites(sites), pairs]).astype(np.int64)


@dataclass
class CareActions:
    """What the engine would add in local and supportive care when a patient's state changes.

    Keyed by (state before, state after) — the same keys as :class:`StateDecider`, whose memoised
    plans it reads — so a new brain metastasis costs at most two plans per distinct state, shared
    with the decisions, not one per patient. The actions are those of the plan after the change that
    the plan before it did not have (radiosurgery for the new brain metastases, a bone-modifying
    agent for new bone metastases, ...)."""

    decider: StateDecider
    actions: dict[StateKey, frozenset[str]] = field(default_factory=dict)

    def triggered(self, before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, list[tuple[str, ...]]]:
        """(index of each row's distinct state change, the actions of each distinct change)."""
        pairs = np.concatenate([before, after], axis=1)
        unique, inverse = unique_rows(pairs)
        width = before.shape[1]
        found = [
            tuple(sorted(self._actions(tuple(map(int, row[width:]))) - self._actions(tuple(map(int, row[:width])))))
            for row in unique
        ]
        return inverse, found

    def present(self, states: np.ndarray) -> tuple[np.ndarray, list[tuple[str, ...]]]:
        """(index of each row's distinct state, the actions of its plan): the local and supportive care a
        patient's state calls for at the start of her course (radiotherapy to a painful bone metastasis,
        a bone-modifying agent, ...)."""
        unique, inverse = unique_rows(states)
        return inverse, [tuple(sorted(self._actions(tuple(map(int, row))))) for row in unique]

    def _actions(self, key: StateKey) -> frozenset[str]:
        if key not in self.actions:
            plan = self.decider.plan(key)
            local = {f"{item.modality} ({item.site})" for item in plan.local}
            supportive = {cls for item in plan.supportive for cls in item.classes}
            self.actions[key] = frozenset(local | supportive)
        return self.actions[key]
