"""Treatment phases of an ongoing line (contract §2): continue it, adjust its dose, switch, or end the
induction and go on to maintenance, and say which and why.

Maintenance regimens themselves are knowledge-base rules (``rules/systemic_0_maintenance.yaml``,
fact ``induction_complete``); this module decides what happens to the ongoing regimen and writes the
rationale entry that explains it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mbctwin.case.derived import ongoing_line
from mbctwin.case.models import Case
from mbctwin.engine.contract import RationaleEntry, SystemicOption
from mbctwin.engine.exclusions import Exclusions

CONTINUE_SOURCES = ["abc7"]
MakeContinuation = Callable[[list[str], str], SystemicOption]


@dataclass(frozen=True)
class Phase:
    options: list[SystemicOption]
    rationale: RationaleEntry | None


def apply_phase(
    case: Case,
    options: list[SystemicOption],
    excluded: Exclusions,
    induction_complete: bool,
    make_continuation: MakeContinuation,
) -> Phase:
    """The options with the ongoing line placed as its phase requires, and the rationale entry."""
    current = ongoing_line(case)
    if current is None:
        return Phase(options, None)
    drugs = list(current.drugs)
    named = " + ".join(d.replace("_", " ") for d in drugs)
    if induction_complete:
        why = (
            f"end of induction: {named} for {current.months_on_treatment:g} months with {current.best_response};"
            " the chemotherapy stops and the maintenance regimen continues"
        )
        return Phase(_without_repeat(options, drugs), _entry("maintenance", why))
    blocked = excluded.blocks(drugs)
    if case.visceral_crisis:
        return Phase(
            options, _entry("switch", f"visceral crisis on {named}: change to the most rapidly effective therapy")
        )
    if blocked:
        reasons = "; ".join(f"{d.replace('_', ' ')}: {excluded.by_drug[d][0]}" for d in blocked)
        return Phase(options, _entry("switch", f"{named} can no longer be given ({reasons})"))
    why = f"current line is ongoing without progression: continue {named} (ABC: until progression or toxicity)"
    same = [o for o in options if set(o.drugs) == set(drugs)]
    kept = same[0].model_copy(update={"notes": [why, *same[0].notes]}) if same else make_continuation(drugs, why)
    rest = [o for o in options if set(o.drugs) != set(drugs)]
    ranked = [o.model_copy(update={"rank": i}) for i, o in enumerate([kept, *rest], start=1)]
    changes = [f"{d.drug.replace('_', ' ')}: {d.adjustment}" for d in kept.dosing if d.adjustment]
    if changes:  # the labs now call for another dose: continue, adjusted (contract §2)
        return Phase(ranked, _entry("adjust", f"{why}, with the dose adjusted ({'; '.join(changes)})"))
    return Phase(ranked, _entry("continue", why))


def _without_repeat(options: list[SystemicOption], drugs: list[str]) -> list[SystemicOption]:
    """After induction the full induction regimen is not offered again at the same line."""
    kept = [o for o in options if set(o.drugs) != set(drugs)]
    return [o.model_copy(update={"rank": i}) for i, o in enumerate(kept, start=1)]


def _entry(phase: str, why: str) -> RationaleEntry:
    return RationaleEntry(factor="treatment_phase", value=phase, effect=why, sources=[])
