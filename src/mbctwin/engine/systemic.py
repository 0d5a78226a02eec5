"""Systemic options: match the decision rules, apply modifiers, drop excluded drugs, rank.

Ranking order: guideline preference (rule tier, one tier lower for each reason to move an option
down: a patient preference, a rule's ``demote_when``, evidence from another point in the disease),
then CNS activity when the disease is in the brain or meninges, then the level of evidence of what
the option cites, then the order the knowledge base lists rules and regimens in. Deterministic by
construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from mbctwin.case.derived import Derived
from mbctwin.engine.evidence import EvidenceChoice, choose
from mbctwin.engine.exclusions import Exclusions, render
from mbctwin.engine.families import family
from mbctwin.knowledge.conditions import Trace, holding, holds, traced
from mbctwin.knowledge.eligibility import Patient
from mbctwin.knowledge.kept import kept_in
from mbctwin.knowledge.loader import KnowledgeBase, per_knowledge_base
from mbctwin.knowledge.schema import Regimen, SystemicRule

MAX_OPTIONS = 10  # the list is cut here, but never so that a family of options disappears


@dataclass
class Candidate:
    regimen: Regimen
    rule: SystemicRule
    drugs: list[str]
    trace: Trace
    order: tuple[int, int]
    evidence: EvidenceChoice
    added_by: dict[str, str] = field(default_factory=dict)  # drug -> modifier reason
    penalties: list[str] = field(default_factory=list)
    cns_active: list[str] = field(default_factory=list)  # drugs with intracranial activity shown, when it matters

    @property
    def key(self) -> frozenset[str]:
        return frozenset(self.drugs)

    def sort_key(self) -> tuple[int, int, int, tuple[int, int]]:
        return (self.rule.tier + len(self.penalties), 0 if self.cns_active else 1, self.evidence.level_rank, self.order)


@dataclass
class Rejected:
    drugs: list[str]
    blocked: list[str]


@dataclass(frozen=True)
class Context:
    """What ranking needs beyond the facts: the case as trial eligibility reads it, and its derived
    facts (for evidence fit)."""

    kb: KnowledgeBase
    patient: Patient
    derived: Derived
    facts: dict[str, Any]
    excluded: Exclusions
    chosen: dict[tuple[tuple[str, ...], tuple[str, ...]], EvidenceChoice] = field(default_factory=dict)

    @cached_property
    def modifiers(self) -> tuple[tuple[frozenset[str], tuple[str, ...], str], ...]:
        """The modifiers that hold for the case: the classes each applies to, the drugs it adds and
        why. Every candidate asks, and within a plan the answer is the same."""
        return tuple(
            (frozenset(m.if_option_has_class_any), tuple(m.add_drugs), render(m.because, self.facts))
            for m in holding(self.kb.modifiers, self.facts)
        )

    def evidence_for(self, drugs: list[str], sources: list[str]) -> EvidenceChoice:
        """The evidence an option cites; several rules often propose the same regimen on the same
        sources, and judging the patient against its trials once per plan is enough."""
        chemo_lines = self.facts["metastatic_chemo_lines"]
        key = (tuple(drugs), tuple(sources))
        return kept_in(self.chosen, key, choose, self.kb, self.patient, self.derived, drugs, sources, chemo_lines)


def _apply_modifiers(context: Context, drugs: list[str]) -> dict[str, str]:
    added: dict[str, str] = {}
    classes = regimen_classes(context.kb, drugs)
    for applies_to, add_drugs, because in context.modifiers:
        if classes & applies_to:
            for drug in add_drugs:
                if drug not in drugs:
                    added[drug] = because
    return added


@per_knowledge_base
def _regimen_classes(kb: KnowledgeBase) -> dict[tuple[str, ...], frozenset[str]]:
    """Drugs -> their classes and groups, filled as regimens are met (the same for every plan)."""
    return {}


def regimen_classes(kb: KnowledgeBase, drugs: list[str]) -> frozenset[str]:
    """The classes and groups of a regimen's drugs, worked out once per regimen for the knowledge base."""
    return kept_in(_regimen_classes(kb), tuple(drugs), _vocabulary_classes, kb, drugs)


def _vocabulary_classes(kb: KnowledgeBase, drugs: list[str]) -> frozenset[str]:
    return frozenset(kb.vocabulary.classes_of(drugs))


def _penalties(context: Context, candidate: Candidate) -> list[str]:
    """Reasons that move an option down without making it unsafe."""
    vocab, facts = context.kb.vocabulary, context.facts
    own = [d for d in candidate.drugs if d not in candidate.added_by]
    notes = []
    if facts["oral_only"] and any("oral" not in vocab.drugs[d].route for d in own):
        notes.append("ranked lower: not all oral, and the patient prefers oral treatment")
    if facts["avoid_alopecia"] and any(vocab.drugs[d].alopecia_common for d in own):
        notes.append("ranked lower: alopecia is common, and the patient wishes to avoid it")
    rule = candidate.rule
    if rule.demote_when is not None and rule.demote_because and holds(rule.demote_when, facts):
        notes.append(f"ranked lower: {render(rule.demote_because, facts)}")
    if candidate.evidence.out_of_sequence:
        trial = candidate.evidence.evidence[0].source
        notes.append(
            f"ranked lower: {trial} enrolled patients at another point of the disease ("
            + "; ".join(candidate.evidence.out_of_sequence)
            + ")"
        )
    return notes


def _cns_active(context: Context, drugs: list[str]) -> list[str]:
    if not context.facts["cns_disease"]:
        return []
    return [d for d in drugs if context.kb.vocabulary.drugs[d].attribute("cns_activity") == "shown"]


def _candidate(
    context: Context, rule: SystemicRule, trace: Trace, regimen: Regimen, order: tuple[int, int]
) -> Candidate | Rejected:
    added = _apply_modifiers(context, regimen.drugs)
    drugs = [*regimen.drugs, *added]
    blocked = context.excluded.blocks(drugs)
    if blocked:
        return Rejected(drugs, blocked)
    evidence = context.evidence_for(regimen.drugs, [*regimen.sources, *rule.sources])
    candidate = Candidate(regimen, rule, drugs, trace, order, evidence, added)
    candidate.penalties = _penalties(context, candidate)
    candidate.cns_active = _cns_active(context, drugs)
    return candidate


def match_systemic(context: Context) -> tuple[list[Candidate], list[Rejected], list[tuple[SystemicRule, Trace]]]:
    """Candidates in rank order, options dropped for an excluded drug, and the rules that fired."""
    best: dict[frozenset[str], Candidate] = {}
    rejected: list[Rejected] = []
    fired: list[tuple[SystemicRule, Trace]] = []
    for rule_index, rule, trace in traced(context.kb.systemic, context.facts):
        fired.append((rule, trace))
        for regimen_index, regimen_id in enumerate(rule.recommend):
            regimen = context.kb.regimens[regimen_id]
            found = _candidate(context, rule, trace, regimen, (rule_index, regimen_index))
            if isinstance(found, Rejected):
                rejected.append(found)
                continue
            current = best.get(found.key)
            if current is None or found.sort_key() < current.sort_key():
                best[found.key] = found
    ranked = sorted(best.values(), key=Candidate.sort_key)
    return _shortlist(context.kb, ranked), rejected, fired


def _shortlist(kb: KnowledgeBase, ranked: list[Candidate]) -> list[Candidate]:
    """The first ``MAX_OPTIONS``, then the best member of each family not yet among them: a family
    the rules proposed (the chemotherapy option after a CDK4/6 inhibitor) is never dropped for length."""
    kept = ranked[:MAX_OPTIONS]
    seen = {family(kb.vocabulary, c.drugs) for c in kept}
    for candidate in ranked[MAX_OPTIONS:]:
        name = family(kb.vocabulary, candidate.drugs)
        if name not in seen:
            seen.add(name)
            kept.append(candidate)
    return kept
