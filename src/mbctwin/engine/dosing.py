"""Doses of the plan: each drug's standard schedule and what the case's labs change in it.

Label adjustments are one mechanism for the whole engine: an ``avoid`` action removes the
drug (``find_exclusions`` reads :func:`avoided`), ``reduce`` and ``delay`` become the
``adjustment`` string of the drug's dosing entry, naming the lab and its value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mbctwin.engine.contract import Dosing
from mbctwin.knowledge.dosing import adjustment_text
from mbctwin.knowledge.kept import kept_in
from mbctwin.knowledge.loader import KnowledgeBase, per_knowledge_base
from mbctwin.knowledge.schema import LabAdjustment, LabRange, Schedule

NO_DOSE_DATA = "no dose data in the knowledge base"
NO_SCHEDULE = "per the product label; a drug already being given continues at its current dose"


@dataclass(frozen=True)
class LabFinding:
    """One label adjustment that the case's labs trigger, with its text for the plan."""

    drug: str
    adjustment: LabAdjustment
    values: dict[str, float]  # lab -> the case's value
    source_id: str

    def text(self, schedule: Schedule | None) -> str:
        """``bilirubin 3.2 x ULN (> 3 x ULN): 50 % dose (40 mg/m²) — ...`` at this schedule's dose."""
        return adjustment_text(self.adjustment, self.values, schedule)


def lab_findings(kb: KnowledgeBase, facts: Mapping[str, Any]) -> dict[str, list[LabFinding]]:
    """drug -> the label adjustments its label makes at this case's labs (none when labs are missing)."""
    found: dict[str, list[LabFinding]] = {}
    for drug, adjustment, bands, source in _label_bands(kb):
        for band in bands:
            if not band.holds(facts.get(band.lab)):
                break
        else:
            values: dict[str, float] = {band.lab: facts[band.lab] for band in bands}
            found.setdefault(drug, []).append(LabFinding(drug, adjustment, values, source))
    return found


@per_knowledge_base
def _label_bands(kb: KnowledgeBase) -> tuple[tuple[str, LabAdjustment, tuple[LabRange, ...], str], ...]:
    """Every label adjustment in the labels' order, with its bands and source: read once, not walked
    through the label records for every plan."""
    return tuple(
        (drug, adjustment, tuple(adjustment.when), adjustment.source or label.source)
        for drug, label in kb.dosing.labels.items()
        for adjustment in label.adjustments
    )


def avoided(findings: Mapping[str, list[LabFinding]]) -> dict[str, LabFinding]:
    """Drugs whose label forbids them at this case's labs, with the first such finding."""
    result: dict[str, LabFinding] = {}
    for drug, items in findings.items():
        blocking = [f for f in items if f.adjustment.action == "avoid"]
        if blocking:
            result[drug] = blocking[0]
    return result


def option_dosing(
    kb: KnowledgeBase, drugs: list[str], regimen: str | None, findings: Mapping[str, list[LabFinding]]
) -> list[Dosing]:
    """One dosing entry per drug of an option (ovarian suppression added by modifiers included)."""
    return [_dosing(kb, drug, regimen, findings.get(drug, ())) for drug in drugs]


def _dosing(kb: KnowledgeBase, drug: str, regimen: str | None, findings: Iterable[LabFinding]) -> Dosing:
    """A drug's entry; without an adjustment it depends on the knowledge base alone, so it is built once
    and shared (the model is frozen): most drugs of most plans are given at their standard dose."""
    changes = [f for f in findings if f.adjustment.action != "avoid"]
    if changes:
        return _entry(kb, drug, regimen, changes)
    return kept_in(_standard(kb), (drug, regimen), _entry, kb, drug, regimen, [])


@per_knowledge_base
def _standard(kb: KnowledgeBase) -> dict[tuple[str, str | None], Dosing]:
    """(drug, regimen) -> its entry at the standard dose, filled as plans meet them."""
    return {}


def _entry(kb: KnowledgeBase, drug: str, regimen: str | None, changes: list[LabFinding]) -> Dosing:
    schedule = kb.dosing.schedule(drug, regimen)
    adjustment = "; ".join(f.text(schedule) for f in changes) or None
    if schedule is None:
        return Dosing(drug=drug, dose=NO_DOSE_DATA, schedule=NO_SCHEDULE, adjustment=adjustment, source="")
    text = kb.dosing.text[schedule.id]
    return Dosing(
        drug=drug,
        dose=text.dose,
        schedule=text.schedule,
        adjustment=adjustment,
        source=f"{kb.sources[schedule.source].name}, {schedule.locator}",
    )
