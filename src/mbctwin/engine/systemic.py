"""Systemic options: match the decision rules, apply modifiers, drop excluded drugs, rank.

Ranking order (issue #3): guideline preference (rule tier) first, then evidence strength
(level of evidence), then patient factors (preferences, drugs stopped for toxicity), then
the order the knowledge base lists rules and regimens in. Deterministic by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mbctwin.engine.exclusions import Exclusions, render
from mbctwin.knowledge.conditions import Trace, evaluate
from mbctwin.knowledge.loader import KnowledgeBase
from mbctwin.knowledge.schema import Regimen, SystemicRule

ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
MAX_OPTIONS = 10  # enough for every family at a decision point; more is noise


@dataclass
class Candidate:
    regimen: Regimen
    rule: SystemicRule
    drugs: list[str]
    trace: Trace
    order: tuple[int, int]
    added_by: dict[str, str] = field(default_factory=dict)  # drug -> modifier reason
    penalties: list[str] = field(default_factory=list)

    @property
    def key(self) -> frozenset[str]:
        return frozenset(self.drugs)

    def sort_key(self) -> tuple[int, int, tuple[int, int]]:
        return (self.rule.tier + len(self.penalties), evidence_rank(self.rule.level), self.order)


@dataclass
class Rejected:
    drugs: list[str]
    blocked: list[str]


def evidence_rank(level: str | None) -> int:
    """'I' sorts before 'II' ...; a missing level sorts last."""
    if not level:
        return 9
    numeral = level.split()[-1].split(",")[0] if level.startswith("LoE") else level.split(",")[0].split()[-1]
    return ROMAN.get(numeral.strip(), 9)


def _apply_modifiers(kb: KnowledgeBase, drugs: list[str], facts: dict[str, Any]) -> dict[str, str]:
    vocab = kb.vocabulary
    added: dict[str, str] = {}
    classes = vocab.classes_of(drugs)
    for modifier in kb.modifiers:
        if not classes & set(modifier.if_option_has_class_any):
            continue
        ok, _ = evaluate(modifier.when, facts)
        if ok:
            for drug in modifier.add_drugs:
                if drug not in drugs:
                    added[drug] = render(modifier.because, facts)
    return added


def _penalties(kb: KnowledgeBase, candidate: Candidate, facts: dict[str, Any]) -> list[str]:
    """Patient factors that move an option down without making it unsafe."""
    vocab = kb.vocabulary
    own = [d for d in candidate.drugs if d not in candidate.added_by]
    notes = []
    if facts["oral_only"] and any("oral" not in vocab.drugs[d].route for d in own):
        notes.append("ranked lower: not all oral, and the patient prefers oral treatment")
    if facts["avoid_alopecia"] and any(vocab.drugs[d].alopecia_common for d in own):
        notes.append("ranked lower: alopecia is common, and the patient wishes to avoid it")
    return notes


def match_systemic(
    kb: KnowledgeBase, facts: dict[str, Any], excluded: Exclusions
) -> tuple[list[Candidate], list[Rejected], list[tuple[SystemicRule, Trace]]]:
    """Candidates in rank order, options dropped for an excluded drug, and the rules that fired."""
    best: dict[frozenset[str], Candidate] = {}
    rejected: list[Rejected] = []
    fired: list[tuple[SystemicRule, Trace]] = []
    for rule_index, rule in enumerate(kb.systemic):
        ok, trace = evaluate(rule.when, facts)
        if not ok:
            continue
        fired.append((rule, trace))
        for regimen_index, regimen_id in enumerate(rule.recommend):
            regimen = kb.regimens[regimen_id]
            added = _apply_modifiers(kb, regimen.drugs, facts)
            drugs = [*regimen.drugs, *added]
            blocked = excluded.blocks(drugs)
            if blocked:
                rejected.append(Rejected(drugs, blocked))
                continue
            candidate = Candidate(regimen, rule, drugs, trace, (rule_index, regimen_index), added)
            candidate.penalties = _penalties(kb, candidate, facts)
            current = best.get(candidate.key)
            if current is None or candidate.sort_key() < current.sort_key():
                best[candidate.key] = candidate
    ranked = sorted(best.values(), key=Candidate.sort_key)
    return ranked[:MAX_OPTIONS], rejected, fired
