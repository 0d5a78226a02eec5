"""Plan and outlook as a clinician reads them: options grouped by family with their differences, the
rationale in words, and outlook figures rounded to the precision the simulation supports
(:mod:`mbctwin.report.outlook_view`, shared with the printable report).

Nothing clinical is decided here: the groups come from the plan's ``family`` (or, for plans made
before the contract had it, the options' drug classes), the words from a table of the engine's fact
names, the numbers from the simulator's summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mbctwin.engine.contract import Plan, Reason, SystemicOption
from mbctwin.report.format import human
from mbctwin.report.outlook_view import outlook_view as outlook

__all__ = ["Family", "because_words", "families", "outlook", "rationale"]


@dataclass(frozen=True)
class Family:
    """Options that differ only by a drug of the same class; ``differences`` says how each one differs."""

    name: str
    options: list[SystemicOption]
    differences: dict[int, str]


def family_name(option: SystemicOption) -> str:
    """The contract's ``family`` when the plan has it, else the option's classes (the same idea)."""
    name = getattr(option, "family", None)
    return str(name) if name else " + ".join(human(c) for c in option.classes) or option.regimen


def _difference(lead: SystemicOption, other: SystemicOption) -> str:
    instead = [d for d in other.drugs if d not in lead.drugs]
    replaced = [d for d in lead.drugs if d not in other.drugs]
    if not instead and not replaced:
        return "same drugs, different evidence or schedule"
    text = f"{human(instead)} instead of {human(replaced)}" if replaced else f"adds {human(instead)}"
    if other.level != lead.level:
        text += f"; evidence level {other.level or 'not graded'} (vs {lead.level or 'not graded'})"
    return text


def families(plan: Plan) -> list[Family]:
    """The ranked options grouped by family, in the order of each family's best-ranked option."""
    groups: dict[str, list[SystemicOption]] = {}
    for option in plan.systemic:
        groups.setdefault(family_name(option), []).append(option)
    return [
        Family(name, options, {o.rank: _difference(options[0], o) for o in options[1:]})
        for name, options in groups.items()
    ]


def _yes_no(yes: str, no: str) -> Callable[[Any], str]:
    return lambda value: yes if value else no


FACT_WORDS: dict[str, Callable[[Any], str]] = {
    "hr_positive": _yes_no("hormone-receptor positive", "hormone-receptor negative"),
    "her2_positive": _yes_no("HER2-positive", "not HER2-positive"),
    "visceral_crisis": _yes_no("visceral crisis", "no visceral crisis"),
    "ecog": lambda v: f"ECOG performance status {v}",
    "line": lambda v: f"metastatic line {v}",
    "brain_count": lambda v: f"{v} brain metastas{'i' if v == 1 else 'e'}s",
    "disease_free_interval_months": lambda v: f"{human(v)} months from the end of (neo)adjuvant therapy",
    "pd_l1_cps": lambda v: f"PD-L1 combined positive score {human(v)}",
    "subtype": lambda v: f"{v} disease",
    "exposed_classes": lambda v: f"already treated with {human(v)}",
    "endocrine_resistance": lambda v: {
        "sensitive": "endocrine-sensitive",
        "primary_resistance": "primary endocrine resistance",
        "secondary_resistance": "secondary endocrine resistance",
        "not_applicable": "no endocrine therapy question (hormone-receptor negative)",
    }.get(str(v), human(v)),
    "comorbidity": lambda v: f"comorbidity: {human(v)}",
}


def fact_words(fact: str, value: Any) -> str:
    """One case fact as words: ``hr_positive=True`` -> "hormone-receptor positive"."""
    words = FACT_WORDS.get(fact)
    return words(value) if words else f"{human(fact)}: {human(value)}"


def because_words(reasons: list[Reason]) -> str:
    return ", ".join(fact_words(r.fact, r.value) for r in reasons)


@dataclass(frozen=True)
class RationaleLine:
    facts: str
    effect: str


def rationale(plan: Plan) -> list[RationaleLine]:
    """Each rationale entry as words. A rule's entry takes the facts of an option made by that rule
    (the structured ``because``); a single-fact entry is put in words directly."""
    by_rule = {o.rule: o.because for o in plan.systemic if o.because}
    lines = []
    for entry in plan.rationale:
        if entry.rule in by_rule:
            facts = because_words(by_rule[entry.rule])
        elif "," not in entry.factor:
            facts = fact_words(entry.factor, entry.value)
        else:
            facts = human(entry.factor)
        lines.append(RationaleLine(facts, entry.effect))
    return lines
