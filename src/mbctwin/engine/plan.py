"""Build the plan for a case: the one entry point of the decision engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mbctwin._version import __version__ as ENGINE_VERSION
from mbctwin.case.derived import Derived
from mbctwin.case.models import Case
from mbctwin.engine import care
from mbctwin.engine.assumptions import assumptions
from mbctwin.engine.contract import (
    NotRecommended,
    Plan,
    RationaleEntry,
    Reason,
    SystemicOption,
)
from mbctwin.engine.dosing import LabFinding, avoided, lab_findings, option_dosing
from mbctwin.engine.evidence import describe_fit
from mbctwin.engine.exclusions import Exclusions, find_exclusions, render
from mbctwin.engine.explain import explanation
from mbctwin.engine.facts import case_facts
from mbctwin.engine.families import family
from mbctwin.engine.phases import apply_phase
from mbctwin.engine.systemic import Candidate, Context, Rejected, match_systemic, regimen_classes
from mbctwin.engine.warnings import plausibility_warnings
from mbctwin.knowledge.conditions import Trace, leaves
from mbctwin.knowledge.eligibility import Patient
from mbctwin.knowledge.kept import kept_in
from mbctwin.knowledge.loader import KnowledgeBase, load_kb, per_knowledge_base
from mbctwin.knowledge.schema import SystemicRule

CONTINUE_SOURCES = ["abc7"]


def _option(
    kb: KnowledgeBase, rank: int, candidate: Candidate, said: _Said, labs: dict[str, list[LabFinding]]
) -> SystemicOption:
    notes = [f"{drug}: {why}" for drug, why in candidate.added_by.items()] + candidate.penalties
    if candidate.cns_active:
        notes.append(f"intracranial activity shown for {', '.join(d.replace('_', ' ') for d in candidate.cns_active)}")
    if candidate.regimen.notes:
        notes.append(candidate.regimen.notes)
    fit = describe_fit(candidate.evidence)
    if fit:
        notes.append(f"evidence extrapolated - {fit}")
    because, reasons = said.of(candidate.rule, candidate.trace)
    return SystemicOption(
        rank=rank,
        regimen=" + ".join(candidate.drugs) if candidate.added_by else candidate.regimen.display_name,
        drugs=candidate.drugs,
        classes=_classes(kb, candidate.drugs),
        evidence=candidate.evidence.evidence,
        level=candidate.evidence.level,
        why=because + _replacements(kb, candidate.drugs, said.facts),
        because=reasons,
        rule=candidate.rule.id,
        tier=candidate.rule.tier,
        family=family(kb.vocabulary, candidate.drugs),
        notes=notes,
        dosing=option_dosing(kb, candidate.drugs, candidate.regimen.id, labs),
        mcbs=candidate.evidence.mcbs,
    )


@dataclass
class _Said:
    """What each fired rule says for this case (its text and the facts that made it apply), made once
    per plan: a rule often proposes several options, and each shows the same words."""

    facts: dict[str, Any]
    said: dict[str, tuple[str, list[Reason]]] = field(default_factory=dict)

    def of(self, rule: SystemicRule, trace: Trace) -> tuple[str, list[Reason]]:
        return kept_in(self.said, rule.id, self._say, rule, trace)

    def _say(self, rule: SystemicRule, trace: Trace) -> tuple[str, list[Reason]]:
        return render(rule.because, self.facts), [Reason(fact=f, value=_jsonable(v)) for f, v in trace]


def _continuation_option(
    context: Context, drugs: list[str], why: str, labs: dict[str, list[LabFinding]]
) -> SystemicOption:
    """The ongoing regimen as rank 1 when no rule proposes it again (it was chosen earlier)."""
    kb = context.kb
    regimen = next((r for r in kb.regimens.values() if set(r.drugs) == set(drugs)), None)
    sources = [*(regimen.sources if regimen else []), *CONTINUE_SOURCES]
    chosen = context.evidence_for(drugs, sources)
    return SystemicOption(
        rank=1,
        regimen=regimen.display_name if regimen else " + ".join(drugs),
        drugs=drugs,
        classes=_classes(kb, drugs),
        evidence=chosen.evidence,
        level=chosen.level,
        why=why,
        because=[],
        rule="continue_ongoing_line",
        tier=1,
        family=family(kb.vocabulary, drugs),
        notes=[],
        mcbs=chosen.mcbs,
        dosing=option_dosing(kb, drugs, regimen.id if regimen else None, labs),
    )


def _replacements(kb: KnowledgeBase, drugs: list[str], facts: dict[str, Any]) -> str:
    """Say when a drug stands in for one of its class stopped for toxicity (contract §2)."""
    vocab = kb.vocabulary
    said = []
    for drug in drugs:
        classes = set(vocab.drugs[drug].classes)
        stopped = sorted(
            d for d in facts["stopped_for_toxicity"] if classes & set(vocab.drugs[d].classes) and d != drug
        )
        if stopped:
            said.append(f"{drug} instead of {', '.join(stopped)} (stopped for toxicity)")
    return f"; {'; '.join(said)}" if said else ""


def _classes(kb: KnowledgeBase, drugs: list[str]) -> list[str]:
    """Vocabulary classes of an option's drugs (scoring groups such as ``chemotherapy`` left out)."""
    return sorted(c for c in regimen_classes(kb, drugs) if c in kb.vocabulary.classes)


def _jsonable(value: Any) -> Any:
    return sorted(value) if isinstance(value, frozenset | set) else value


def _not_recommended(kb: KnowledgeBase, excluded: Exclusions, rejected: list[Rejected]) -> list[NotRecommended]:
    """Excluded drugs worth telling: always-report rules, failed drugs, and blocked candidates."""
    relevant = {d for r in rejected for d in r.blocked}
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for drug, (reason, sources, _rule, report) in sorted(excluded.by_drug.items()):
        if report == "always" or drug in relevant:
            grouped.setdefault((reason, tuple(sources)), []).append(drug)
    return [
        NotRecommended(drugs=drugs, why=reason, sources=[kb.sources[s].name for s in sources])
        for (reason, sources), drugs in grouped.items()
    ]


def _rationale(
    kb: KnowledgeBase, case: Case, derived: Derived, fired: list[tuple[SystemicRule, Trace]]
) -> list[RationaleEntry]:
    entries = [
        RationaleEntry(
            factor="subtype",
            value=derived.subtype,
            effect=f"HER2 {derived.her2_category}; selects the treatment families",
        ),
        RationaleEntry(factor="line", value=derived.line, effect="selects the decision point"),
        RationaleEntry(
            factor="endocrine_resistance",
            value=derived.endocrine_resistance,
            effect="chooses the endocrine partner (ABC definitions)",
        ),
    ]
    if derived.er_low:
        entries.append(
            RationaleEntry(
                factor="er_low",
                value=True,
                effect=(
                    "ER 1-10 % with PR negative: counted HR+, but such tumours behave like triple-negative disease"
                    " and are managed as such (chemotherapy, with pembrolizumab when PD-L1 CPS >= 10, first);"
                    " endocrine-based options come later"
                ),
                sources=[kb.sources["asco_cap_er_testing_2020"].name, kb.sources["esmo_mbc_living_guideline"].name],
            )
        )
    if case.pregnancy == "breastfeeding":
        entries.append(
            RationaleEntry(
                factor="breastfeeding",
                value=True,
                effect="anticancer drugs pass into breast milk: breastfeeding stops before treatment starts",
            )
        )
    for rule, trace in fired:
        entries.append(
            RationaleEntry(
                factor=", ".join(dict.fromkeys(f for f, _ in trace)) or "case",
                value="; ".join(f"{f}={_plain(v)}" for f, v in trace),
                effect=rule.title,
                rule=rule.id,
                sources=[kb.sources[s].name for s in rule.sources],
            )
        )
    used = _comorbidities_used(kb) if case.comorbidities else set()
    for code in case.comorbidities:
        if code not in used:
            entries.append(
                RationaleEntry(factor="comorbidity", value=code, effect="not used by any rule of this knowledge base")
            )
    return entries


def _plain(value: Any) -> str:
    return ",".join(sorted(value)) if isinstance(value, frozenset | set) else str(value)


@per_knowledge_base
def _comorbidities_used(kb: KnowledgeBase) -> frozenset[str]:
    """Comorbidity codes that some rule of the knowledge base tests (walking every rule is dearer than
    the rest of a plan's rationale, so once per knowledge base)."""
    rules: list[Any] = [*kb.systemic, *kb.exclusions, *kb.supportive, *kb.local, *kb.modifiers]
    used: set[str] = set()
    for rule in rules:
        for leaf in leaves(rule.when):
            if leaf["fact"] == "comorbidities":
                value = leaf.get("has") or leaf.get("has_any") or []
                used.update([value] if isinstance(value, str) else value)
    return frozenset(used)


def build_plan(case: Case, kb: KnowledgeBase | None = None) -> Plan:
    """Turn a validated case into a ranked, cited plan (deterministic for a given knowledge base).

    Parameters
    ----------
    case
        A validated case (:func:`mbctwin.read_case`, :func:`mbctwin.example_case`).
    kb
        The knowledge base; the packaged one unless given.

    Returns
    -------
    Plan
        Ranked systemic options with doses and evidence, local and supportive care, urgent flags,
        goals, what not to give and why, and a plain-language explanation.

    Examples
    --------
    >>> from mbctwin import build_plan, example_case
    >>> plan = build_plan(example_case("hr-positive-first-line"))
    >>> plan.subtype, plan.line
    ('HR+/HER2-', 1)
    >>> plan.systemic[0].evidence[0].source_id in {e.source_id for e in plan.systemic[0].evidence}
    True
    """
    kb = kb or load_kb()
    derived = Derived.of(case)
    facts = case_facts(case, derived)
    labs = lab_findings(kb, facts)
    excluded = find_exclusions(kb, facts, derived.failed_drugs, derived.intolerant_drugs, avoided(labs))
    context = Context(kb, Patient.of(case), derived, facts, excluded)
    candidates, rejected, fired = match_systemic(context)
    said = _Said(facts)
    options = [_option(kb, rank, c, said, labs) for rank, c in enumerate(candidates, start=1)]
    phase = apply_phase(
        case,
        options,
        excluded,
        facts["induction_complete"],
        lambda drugs, why: _continuation_option(context, drugs, why, labs),
    )
    options = phase.options
    supportive = care.supportive_care(kb, facts, excluded)
    if not options:
        supportive.insert(0, care.best_supportive_care(kb, _bsc_reason(facts)))
    plan = Plan(
        case_id=case.id or "",
        engine_version=ENGINE_VERSION,
        knowledge_base_version=kb.version,
        subtype=derived.subtype,
        her2_category=derived.her2_category,
        line=derived.line,
        endocrine_resistance=derived.endocrine_resistance,
        goals=care.goals_of_care(kb, facts, bool(options) or facts["first_trimester"]),
        urgent=care.urgent_flags(kb, facts),
        systemic=options,
        local=care.local_treatments(kb, facts),
        supportive=supportive,
        not_recommended=_not_recommended(kb, excluded, rejected),
        tests_needed=care.tests_needed(kb, facts),
        rationale=[*_rationale(kb, case, derived, fired), *([phase.rationale] if phase.rationale else [])],
        assumptions=assumptions(case, derived, facts),
        explanation="",
        warnings=plausibility_warnings(kb, facts, labs, options, excluded),
    )
    return plan.model_copy(update={"explanation": explanation(plan, case)})


def _bsc_reason(facts: dict[str, Any]) -> str:
    if facts["first_trimester"]:
        return (
            f"first trimester ({facts['gestational_weeks']} weeks): anticancer drugs wait until week 14;"
            " supportive care and obstetric-oncology review now"
        )
    if facts["ecog"] >= 4:
        return "ECOG 4: anticancer therapy is unlikely to help and likely to harm; focus on comfort"
    return "no active systemic therapy is safe or available for this case"
