"""Urgent flags, local treatment, supportive care, tests and goals: rules evaluated on facts."""

from __future__ import annotations

from typing import Any

from mbctwin.engine.contract import LocalTreatment, Supportive, TestNeeded, Urgent
from mbctwin.engine.exclusions import Exclusions, render
from mbctwin.knowledge.conditions import holding
from mbctwin.knowledge.loader import KnowledgeBase

BSC_SOURCES = ["abc7", "asco_palliative_care_2017"]


def _source_names(kb: KnowledgeBase, ids: list[str]) -> list[str]:
    return [kb.sources[i].name for i in ids]


def urgent_flags(kb: KnowledgeBase, facts: dict[str, Any]) -> list[Urgent]:
    flags: dict[str, Urgent] = {}
    for rule in holding(kb.urgent, facts):
        if rule.code not in flags:
            flags[rule.code] = Urgent(
                code=rule.code, action=render(rule.action, facts), sources=_source_names(kb, rule.sources)
            )
    return list(flags.values())


def local_treatments(kb: KnowledgeBase, facts: dict[str, Any]) -> list[LocalTreatment]:
    chosen: dict[tuple[str, str], LocalTreatment] = {}
    for rule in holding(kb.local, facts):
        key = (rule.modality, rule.site)
        if key not in chosen:
            chosen[key] = LocalTreatment(
                modality=rule.modality,
                site=rule.site,
                regimen=render(rule.regimen, facts),
                why=render(rule.because, facts),
                sources=_source_names(kb, rule.sources),
            )
    return list(chosen.values())


def supportive_care(kb: KnowledgeBase, facts: dict[str, Any], excluded: Exclusions) -> list[Supportive]:
    """Each matching rule gives one entry; with a drug list, the first drug the case allows."""
    entries: list[Supportive] = []
    seen: set[tuple[str, ...]] = set()
    for rule in holding(kb.supportive, facts):
        drugs: list[str] = []
        if rule.drugs:
            allowed = [d for d in rule.drugs if d not in excluded.by_drug]
            if not allowed:
                continue
            drugs = allowed[:1]
        key = (*rule.classes, *drugs)
        if key in seen:
            continue
        seen.add(key)
        entries.append(
            Supportive(
                drugs=drugs,
                classes=rule.classes,
                why=render(rule.because, facts),
                notes=render(rule.notes, facts) if rule.notes else None,
                sources=_source_names(kb, rule.sources),
            )
        )
    return entries


def best_supportive_care(kb: KnowledgeBase, reason: str) -> Supportive:
    return Supportive(classes=["best_supportive_care"], why=reason, sources=_source_names(kb, BSC_SOURCES))


def tests_needed(kb: KnowledgeBase, facts: dict[str, Any]) -> list[TestNeeded]:
    found: dict[str, TestNeeded] = {}
    for rule in holding(kb.tests, facts):
        if rule.test not in found:
            found[rule.test] = TestNeeded(test=rule.test, why=render(rule.because, facts))
    return list(found.values())


def goals_of_care(kb: KnowledgeBase, facts: dict[str, Any], has_systemic: bool) -> list[str]:
    """Goals from the rules; without any systemic option the aim becomes comfort, not survival."""
    goals: list[str] = [rule.goal for rule in holding(kb.goals, facts)]
    if not has_systemic:
        goals = [g for g in goals if g != "prolong_survival"] + ["comfort_care"]
    return list(dict.fromkeys(goals))
