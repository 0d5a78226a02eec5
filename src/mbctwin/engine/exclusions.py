"""Which drugs this case must not receive, each with its reason and source."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mbctwin.engine.dosing import LabFinding
from mbctwin.knowledge.conditions import holding
from mbctwin.knowledge.kept import kept_in
from mbctwin.knowledge.loader import KnowledgeBase, per_knowledge_base
from mbctwin.knowledge.schema import Exclusion

FAILED_DRUG_SOURCES = ["abc7", "esmo_mbc_living_guideline"]
INTOLERANCE_SOURCES = ["abc7"]


def render(template: str, facts: dict[str, Any]) -> str:
    """Fill ``{fact}`` placeholders (names checked by the loader) with the case's values."""
    return template.format_map(_PlainFacts(facts))


class _PlainFacts(dict):
    """Facts as text, converted only when a template asks for them (a plan renders ~1,000 texts)."""

    def __init__(self, facts: dict[str, Any]):
        super().__init__()
        self._facts = facts

    def __missing__(self, name: str) -> str:
        return _plain(self._facts[name])


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(value))
    return str(value)


@dataclass
class Exclusions:
    """drug -> (reason, source ids, rule id, report policy); the first reason found wins."""

    by_drug: dict[str, tuple[str, list[str], str, str]] = field(default_factory=dict)
    fired: list[tuple[Exclusion | None, str, list[str]]] = field(default_factory=list)

    def blocks(self, drugs: list[str]) -> list[str]:
        return [d for d in drugs if d in self.by_drug]


def rule_drugs(kb: KnowledgeBase, rule: Exclusion) -> list[str]:
    """The drugs an exclusion reaches: named, by class (or group), and by attribute value (the same for
    every plan: worked out once per rule of the knowledge base)."""
    reached: list[str] = kept_in(_reached(kb), rule.id, _rule_drugs, kb, rule)
    return list(reached)


@per_knowledge_base
def _reached(kb: KnowledgeBase) -> dict[str, list[str]]:
    """Exclusion rule id -> the drugs it reaches, filled as rules fire."""
    return {}


def _rule_drugs(kb: KnowledgeBase, rule: Exclusion) -> list[str]:
    vocab = kb.vocabulary
    drugs = set(rule.drugs)
    for cls in rule.classes:
        drugs |= vocab.members(cls)
    for attribute, values in rule.attributes.items():
        drugs |= vocab.drugs_where(attribute, values)
    return sorted(drugs)


def find_exclusions(
    kb: KnowledgeBase,
    facts: dict[str, Any],
    failed: dict[str, str],
    intolerant: dict[str, str] | None = None,
    label_avoid: dict[str, LabFinding] | None = None,
) -> Exclusions:
    """Evaluate every exclusion rule, then drugs the label forbids at the case's labs
    (``label_avoid``, from :func:`mbctwin.engine.dosing.avoided`), then drugs stopped for toxicity
    and drugs that have failed (contract §2: neither is offered again)."""
    result = Exclusions()
    for rule in holding(kb.exclusions, facts):
        reason = render(rule.reason, facts)
        drugs = rule_drugs(kb, rule)
        result.fired.append((rule, reason, drugs))
        for drug in drugs:
            result.by_drug.setdefault(drug, (reason, rule.sources, rule.id, rule.report))
    for drug, finding in sorted((label_avoid or {}).items()):
        rule_id = kb.dosing.labels[drug].id
        result.by_drug.setdefault(drug, (finding.text(None), [finding.source_id], rule_id, "always"))
    for drug, why in sorted((intolerant or {}).items()):
        result.by_drug.setdefault(drug, (why, INTOLERANCE_SOURCES, "intolerance", "always"))
    vocab = kb.vocabulary
    for drug, why in sorted(failed.items()):
        if vocab.drugs[drug].continues_beyond_progression:
            continue
        result.by_drug.setdefault(drug, (why, FAILED_DRUG_SOURCES, "failed_drug", "always"))
    return result
