"""Treatment policies: what a virtual patient receives at each line.

A policy maps a case (the patient's state rebuilt as a case) to the drugs of the next line,
or ``None`` for best supportive care. The model calls it once per distinct state and
memoises the answer, so even the engine policy costs a table lookup per progression.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from mbctwin.case.derived import line as case_line
from mbctwin.case.models import Case
from mbctwin.case.vocabulary import vocabulary
from mbctwin.course.availability import Availability
from mbctwin.engine.contract import Plan, SystemicOption
from mbctwin.engine.plan import build_plan
from mbctwin.knowledge.loader import KnowledgeBase, load_kb

Drugs = tuple[str, ...]
Policy = Callable[[Case], Drugs | None]


@runtime_checkable
class Planner(Protocol):
    """A policy that also provides the engine plan of a case (the simulator reads the care a new site
    triggers from it): :class:`EnginePolicy`, and PSA's memoising wrapper, which keeps plans across draws."""

    def plan_for(self, case: Case) -> Plan: ...


@dataclass(frozen=True)
class EnginePolicy:
    """The decision engine's highest-ranked available option; best supportive care when none.

    ``unavailable`` drugs (e.g. a trial's investigational agents, which control patients could
    not get after progression) and options whose supporting trials were published after
    ``as_of_year`` (the evidence of the trial's era) are skipped. Given the calendar ``year`` of a
    decision and the drugs' approval years (``availability``), an option is in practice from the
    year its last drug was approved for the patient's subtype, and the investigational agents
    reach control patients once approved (``crossover``); options with a drug whose approval is not
    listed keep the two rules above.
    """

    kb: KnowledgeBase | None = None
    unavailable: frozenset[str] = frozenset()
    as_of_year: int | None = None
    availability: Availability | None = None
    crossover: bool = True

    def __call__(self, case: Case) -> Drugs | None:
        return self.choose(self.plan_for(case))

    def knowledge(self) -> KnowledgeBase:
        """The knowledge base plans are built with (the packaged one unless given)."""
        return self.kb or load_kb()

    def plan_for(self, case: Case) -> Plan:
        return build_plan(case, self.knowledge())

    def choose(self, plan: Plan, year: int | None = None) -> Drugs | None:
        """The first available systemic option of a plan already built for the case (the simulator
        builds one plan per state and shares it with the care actions the state triggers);
        ``year``: the calendar year the line starts in (in-silico trials, dated cohorts)."""
        kb = self.knowledge()
        for option in plan.systemic:
            if self._available(kb, tuple(option.drugs), option.evidence, plan, year):
                return tuple(option.drugs)
        for option in plan.systemic:  # none in practice yet: the regimen an option was added to
            backbone = self._backbone(kb, option, plan, year)
            if backbone is not None:
                return backbone
        return None

    def _available(
        self, kb: KnowledgeBase, drugs: Drugs, evidence: list, plan: Plan, year: int | None, blocked: bool = True
    ) -> bool:
        """In practice in ``year``; ``blocked``: the ``unavailable`` drugs count as not available."""
        approved = None
        if year is not None and self.availability is not None:
            approved = self.availability.in_practice(drugs, plan.subtype, plan.her2_category, year)
        investigational = blocked and bool(set(drugs) & self.unavailable)
        if approved is not None:
            return approved and (self.crossover or not investigational)
        limits = [y for y in (self.as_of_year, year) if y is not None]
        return not investigational and (not limits or _published_by(kb, evidence, min(limits)))

    def _backbone(self, kb: KnowledgeBase, option: SystemicOption, plan: Plan, year: int | None) -> Drugs | None:
        """Before an add-on drug was approved, patients received the regimen it was added to: an option
        whose drugs are not all in practice in ``year`` gives way to its drugs that are, when a trial it
        cites tested exactly that regimen as its control arm (pertuzumab + trastuzumab + docetaxel in
        2010: trastuzumab + docetaxel, CLEOPATRA's control)."""
        if year is None or self.availability is None:
            return None
        known = self.availability.in_practice
        kept = tuple(d for d in option.drugs if known((d,), plan.subtype, plan.her2_category, year) is not False)
        if not kept or len(kept) == len(option.drugs):
            return None
        controls = {
            frozenset(effect.control.drugs)
            for e in option.evidence
            if e.kind == "trial" and e.source_id in kb.sources
            for effect in kb.sources[e.source_id].effects
            if effect.control is not None
        }
        if frozenset(kept) in controls and self._available(kb, kept, option.evidence, plan, year):
            return kept
        return None

    def __str__(self) -> str:
        return "engine"


@dataclass(frozen=True)
class CrossoverPolicy(EnginePolicy):
    """The engine, for a control patient known to cross over: at her first progression where the
    engine's plan holds an option with one of the ``give`` drugs (the experimental arm's added classes),
    she receives the best-ranked such option. The trial's own experimental drugs (``own``) reach her
    approved or not (a published crossover share counts what patients received, through the trial and
    access programmes); every other drug of the option must be in practice that year, so a 2011 control
    crossing over to trastuzumab emtansine cannot receive trastuzumab deruxtecan, its class-mate of 2019.
    Every other line is the engine's. Which controls cross over is drawn once per patient from the
    published share (``subsequent_therapy: {policy: engine, crossover_share: X}``)."""

    give: frozenset[str] = frozenset()
    own: frozenset[str] = frozenset()

    def choose_for(self, case: Case, plan: Plan, year: int | None = None) -> Drugs | None:
        received = {d for p in case.prior_therapies for d in p.drugs}
        if not received & self.give:
            kb = self.knowledge()
            for option in plan.systemic:
                rest = tuple(d for d in option.drugs if d not in self.own)
                crosses = bool(set(option.drugs) & self.give)
                if crosses and (not rest or self._available(kb, rest, option.evidence, plan, year, blocked=False)):
                    return tuple(option.drugs)
        return self.choose(plan, year)


def _published_by(kb: KnowledgeBase, evidence: list, year: int) -> bool:
    """The earliest trial behind an option was published by ``year`` (options citing no trial pass)."""
    known = [y for y in (kb.sources[e.source_id].year for e in evidence if e.kind == "trial") if y is not None]
    return not known or min(known) <= year


@dataclass(frozen=True)
class FixedPolicy:
    """A given sequence of regimens, one per line; after the last, best supportive care, or the engine's
    choice when ``then`` is given (``fixed:letrozole+ribociclib;engine``: a first line fixed by a
    strategy, later lines as practice would treat them)."""

    sequence: tuple[Drugs, ...]
    then: EnginePolicy | None = None

    def __call__(self, case: Case) -> Drugs | None:
        index = case_line(case) - 1
        if index < len(self.sequence):
            return self.sequence[index]
        return self.then(case) if self.then is not None else None

    def __str__(self) -> str:
        text = "fixed:" + ";".join("+".join(drugs) for drugs in self.sequence)
        return text + (";engine" if self.then is not None else "")


@dataclass(frozen=True)
class NoFurtherTherapy:
    """Best supportive care only; in trials, after the assigned first line (``subsequent_therapy: none``)."""

    def __call__(self, case: Case) -> Drugs | None:
        return None

    def __str__(self) -> str:
        return "none"


def parse_policy(text: str, kb: KnowledgeBase | None = None) -> Policy:
    """``engine``, ``none``, ``fixed:letrozole+ribociclib;fulvestrant;capecitabine`` (then best supportive
    care) or ``fixed:letrozole+ribociclib;engine`` (then the engine's choices)."""
    if text == "engine":
        return EnginePolicy(kb)
    if text == "none":
        return NoFurtherTherapy()
    if text.startswith("fixed:"):
        lines: Sequence[str] = [part for part in text.removeprefix("fixed:").split(";") if part]
        then = EnginePolicy(kb) if lines and lines[-1] == "engine" else None
        sequence = tuple(tuple(line.split("+")) for line in (lines[:-1] if then else lines))
        unknown = sorted({d for drugs in sequence for d in drugs} - set(vocabulary().drugs))
        if unknown or not sequence:
            raise ValueError(f"fixed policy needs known drug names, unknown: {unknown}")
        return FixedPolicy(sequence, then)
    raise ValueError(f"unknown policy {text!r}: use engine, none or fixed:DRUG+DRUG;DRUG...[;engine]")
