"""Checks beyond loading: properties every record of a sound knowledge base must have."""

from __future__ import annotations

from mbctwin.knowledge.loader import KnowledgeBase

CITABLE_KINDS = {"trial", "guideline", "meta_analysis", "study"}


def validate(kb: KnowledgeBase) -> list[str]:
    """Return the problems found (empty when the knowledge base is sound)."""
    problems = []
    for regimen in kb.regimens.values():
        if not any(kb.sources[s].kind in CITABLE_KINDS for s in regimen.sources):
            problems.append(f"{regimen.id}: cites no trial or guideline")
    for source in kb.sources.values():
        if not (source.pmid or source.doi or source.url):
            problems.append(f"{source.id}: no PMID, DOI or URL to find the publication")
        for effect in source.effects:
            if effect.hr_ci95 and not effect.hr_ci95[0] <= (effect.hr or 0) <= effect.hr_ci95[1]:
                problems.append(f"{source.id}: HR {effect.hr} outside its 95% CI {effect.hr_ci95}")
    recommended = {r for rule in kb.systemic for r in rule.recommend}
    for regimen_id in kb.regimens:
        if regimen_id not in recommended:
            problems.append(f"{regimen_id}: no rule recommends it")
    return problems
