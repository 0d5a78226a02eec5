"""Checks beyond loading: properties every record of a sound knowledge base must have."""

from __future__ import annotations

from dataclasses import dataclass, field

from mbctwin.knowledge.loader import KnowledgeBase

CITABLE_KINDS = {"trial", "guideline", "meta_analysis", "study"}


@dataclass(frozen=True)
class Report:
    """``errors`` make the knowledge base unfit for use; ``warnings`` are gaps to close."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def validate(kb: KnowledgeBase) -> Report:
    report = Report()
    for regimen in kb.regimens.values():
        if not any(kb.sources[s].kind in CITABLE_KINDS for s in regimen.sources):
            report.errors.append(f"{regimen.id}: cites no trial or guideline")
    for rule in kb.systemic:
        if not rule.sources:
            report.errors.append(f"{rule.id}: cites no source")
    for source in kb.sources.values():
        if not (source.pmid or source.doi or source.url):
            report.warnings.append(f"{source.id}: no PMID, DOI or URL to find the publication")
        for effect in source.effects:
            if effect.hr_ci95 and not effect.hr_ci95[0] <= (effect.hr or 0) <= effect.hr_ci95[1]:
                report.errors.append(f"{source.id}: HR {effect.hr} outside its 95% CI {effect.hr_ci95}")
    recommended = {r for rule in kb.systemic for r in rule.recommend}
    report.errors.extend(f"{r}: no rule recommends it" for r in kb.regimens if r not in recommended)
    report.errors.extend(_missing_attributes(kb))
    report.errors.extend(_missing_doses(kb))
    report.warnings.extend(
        f"{s.id}: dose taken from {s.source} without its text at hand (verified: false)"
        for s in kb.dosing.schedules.values()
        if not s.verified
    )
    report.errors.extend(_undated_or_undesigned(kb))
    return report


def _missing_attributes(kb: KnowledgeBase) -> list[str]:
    """A rule written on an attribute is only safe when every drug states that attribute: a drug
    without it would silently escape the rule (a new ADC escaping the ILD exclusion)."""
    needed: dict[str, list[str]] = {}
    for rule in kb.exclusions:
        for attribute in rule.attributes:
            needed.setdefault(attribute, []).append(rule.id)
    return [
        f"{drug}: no value for attribute {attribute!r}, which rule(s) {', '.join(rules)} need"
        for attribute, rules in sorted(needed.items())
        for drug in kb.vocabulary.lacking(attribute)
    ]


def _missing_doses(kb: KnowledgeBase) -> list[str]:
    """Every drug a plan can offer needs a dose: regimen drugs and drugs that modifiers add."""
    missing = [
        f"{regimen.id}: no dose data for {drug} (dosing/schedules)"
        for regimen in kb.regimens.values()
        for drug in regimen.drugs
        if kb.dosing.schedule(drug, regimen.id) is None
    ]
    added = sorted({d for modifier in kb.modifiers for d in modifier.add_drugs})
    missing += [
        f"{drug}: added by a modifier but has no default schedule" for drug in added if drug not in kb.dosing.default
    ]
    return missing


def _undated_or_undesigned(kb: KnowledgeBase) -> list[str]:
    """Levels of evidence follow the design of what is cited, and guideline citations carry their
    version and date: a source an option can cite without them could not be cited honestly."""
    cited = {s for r in kb.regimens.values() for s in r.sources} | {s for r in kb.systemic for s in r.sources}
    problems = []
    for source in (kb.sources[s] for s in sorted(cited)):
        if source.kind == "guideline" and not (source.version and source.date):
            problems.append(f"{source.id}: a guideline needs its version and date")
        if source.kind in ("trial", "meta_analysis", "guideline") and source.design is None:
            problems.append(f"{source.id}: no design (sets the level of evidence of options citing it)")
    return problems
