"""Plausibility warnings (contract §2 ``warnings``): implausible but possible values and what they changed.

A warning names the value and, from the same rules that built the plan, what that value
changed in it: drugs its label limits withheld, doses it changed, drugs a modifier added and
drugs an exclusion rule reading it removed. So a reader can judge whether an entry error
steered the plan.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mbctwin.engine.contract import SystemicOption
from mbctwin.engine.dosing import LabFinding
from mbctwin.engine.exclusions import Exclusions, render
from mbctwin.knowledge.conditions import fact_names, holding, holds
from mbctwin.knowledge.loader import KnowledgeBase


def plausibility_warnings(
    kb: KnowledgeBase,
    facts: dict[str, Any],
    labs: Mapping[str, list[LabFinding]],
    options: list[SystemicOption],
    excluded: Exclusions,
) -> list[str]:
    """One sentence per implausible value: the value, what to check, and what it changed."""
    warnings = []
    for rule in holding(kb.plausibility, facts):
        changes = "; ".join(_changes(kb, set(rule.facts), facts, labs, options, excluded))
        warnings.append(f"{render(rule.message, facts)}. It changed: {changes or 'nothing in this plan'}.")
    return warnings


def _changes(
    kb: KnowledgeBase,
    through: set[str],
    facts: dict[str, Any],
    labs: Mapping[str, list[LabFinding]],
    options: list[SystemicOption],
    excluded: Exclusions,
) -> Iterator[str]:
    offered = {d for option in options for d in option.drugs}
    reading = [f for found in labs.values() for f in found if set(f.values) & through]
    withheld = {f.drug for f in reading if f.adjustment.action == "avoid"}
    for rule, _reason, removed in excluded.fired:
        if rule is not None and set(fact_names(rule.when)) & through:
            withheld.update(removed)
    adjusted = {f.drug for f in reading if f.adjustment.action != "avoid"} & offered
    added = {
        drug
        for modifier in kb.modifiers
        if set(fact_names(modifier.when)) & through and holds(modifier.when, facts)
        for drug in modifier.add_drugs
    } & offered
    for label, drugs in (("withheld", withheld), ("dose adjusted", adjusted), ("added", added)):
        if drugs:
            yield f"{label} {', '.join(sorted(d.replace('_', ' ') for d in drugs))}"
