"""Evidence that fits the patient (contract §2): which trial to cite for an option, whether the patient
belongs to its enrolled population, the level of evidence its design gives, and its ESMO-MCBS score.

A trial is matched to an option by the drugs of its experimental arm (with the partner regimens an
arm allowed), never by its name. The patient is judged against the effect's structured
``eligibility`` and line range (:mod:`mbctwin.knowledge.eligibility`): a trial that enrolled the
patient is cited as it stands; otherwise the closest one is cited with the population it enrolled
(``extrapolated_from``). A misfit in the sequence of treatment (prior lines or classes) also moves
the option down: its evidence comes from patients at another point of the disease.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mbctwin.case.derived import Derived
from mbctwin.case.vocabulary import Vocabulary
from mbctwin.engine.contract import Evidence, Mcbs
from mbctwin.knowledge.eligibility import Patient
from mbctwin.knowledge.kept import kept_in
from mbctwin.knowledge.loader import KnowledgeBase, per_knowledge_base
from mbctwin.knowledge.schema import LEVEL_OF_DESIGN, Arm, Effect, McbsScore, Source

ROMAN = ("I", "II", "III", "IV", "V")
GUIDELINE_LEVEL = LEVEL_OF_DESIGN["consensus"]
CITABLE = ("trial", "meta_analysis", "study")
CHOICES_KEPT = 4096  # evidence choices kept per knowledge base before the store starts again


@dataclass(frozen=True)
class Match:
    """An effect whose experimental arm gives the option's drugs, and how the patient fits it."""

    source: Source
    effect: Effect
    population_misfits: tuple[str, ...]
    sequence_misfits: tuple[str, ...]

    @property
    def fits(self) -> bool:
        return not self.population_misfits and not self.sequence_misfits


@dataclass(frozen=True)
class EvidenceChoice:
    evidence: list[Evidence]
    level: str
    level_rank: int
    mcbs: Mcbs | None = None
    out_of_sequence: list[str] = field(default_factory=list)


Misfits = tuple[tuple[str, ...], tuple[str, ...]]  # population, sequence
ChoiceKey = tuple[tuple[str, ...], tuple[str, ...], tuple[Misfits, ...]]  # drugs, sources, misfits per match


@dataclass(frozen=True)
class _Index:
    """Per knowledge base: trial effects by drug, and the year each drug's trial evidence begins."""

    effects: tuple[tuple[Source, Effect], ...]
    first_year: dict[str, int]
    by_core: dict[frozenset[str], tuple[tuple[Source, Effect], ...]] = field(default_factory=dict)  # filled lazily
    findings: dict[tuple[str, tuple[str, ...], str | None], str | None] = field(default_factory=dict)
    cited: dict[tuple[str, tuple[str, ...], str | None], Evidence] = field(default_factory=dict)
    choices: dict[ChoiceKey, EvidenceChoice] = field(default_factory=dict)


@per_knowledge_base
def _index(kb: KnowledgeBase) -> _Index:
    effects = tuple(
        (s, e) for s in kb.sources.values() if s.kind in CITABLE for e in s.effects if _drugs_of(e.experimental)
    )
    first: dict[str, int] = {}
    for source, effect in effects:
        for drug in _drugs_of(effect.experimental):
            if source.first_year is not None:
                first[drug] = min(first.get(drug, source.first_year), source.first_year)
    return _Index(effects, first)


def _drugs_of(arm: Arm) -> set[str]:
    return {*arm.drugs, *(d for partner in arm.partner_choice for d in partner)}


def arm_gives(vocab: Vocabulary, arm: Arm, core: frozenset[str]) -> bool:
    """The arm gives these drugs: each is in it (fixed or a partner choice), and whatever else it
    holds is an alternative of the same class or group (a physician's-choice partner) or ovarian
    suppression."""
    options = [set(arm.drugs) | set(p) for p in arm.partner_choice] or [set(arm.drugs)]
    own = vocab.classes_of(core)
    return any(core <= drugs and all(_alternative(vocab, d, own) for d in drugs - core) for drugs in options)


def _alternative(vocab: Vocabulary, drug: str, classes: set[str]) -> bool:
    theirs = vocab.classes_of([drug])
    return bool(theirs & classes) or "ovarian_function_suppression" in theirs


def _judge(source: Source, effect: Effect, patient: Patient, lines: tuple[int, int], cytotoxic: bool) -> Match:
    """Population misfits (who the patient is) apart from sequence misfits (where in the disease):
    prior classes and lines, and the trial's line range (chemotherapy lines for a cytotoxic arm, as
    the effect schema counts them)."""
    population, sequence = patient.judged(effect.eligibility)
    line = lines[1] if cytotoxic else lines[0]
    arm = effect.experimental
    low, high = (arm.line, arm.line_max) if arm.line is not None else (effect.line, effect.line_max)
    if low and (line < low or (high is not None and line > high)):
        kind = "chemotherapy line" if cytotoxic else "line"
        span = f"{low}-{high}" if high is not None else f"{low} or later"
        sequence = (*sequence, f"{kind} {line}, the trial enrolled {kind}s {span}")
    return Match(source, effect, population, sequence)


def matches(
    kb: KnowledgeBase, patient: Patient, derived: Derived, core: frozenset[str], chemo_lines: int
) -> list[Match]:
    """Every trial effect that gives the option's drugs, judged against the patient."""
    vocab = kb.vocabulary
    cytotoxic = any(vocab.drugs[d].attribute("cytotoxic") is True for d in core)
    lines = (derived.line, chemo_lines + 1)
    return [_judge(source, effect, patient, lines, cytotoxic) for source, effect in _giving(kb, core)]


def _giving(kb: KnowledgeBase, core: frozenset[str]) -> tuple[tuple[Source, Effect], ...]:
    """Effects whose experimental arm gives these drugs (the same for every case: kept per knowledge base)."""
    index = _index(kb)
    found = index.by_core.get(core)
    if found is None:
        found = tuple(
            (source, effect)
            for source, effect in index.effects
            if effect.endpoint in ("pfs", "os", "ttp", "orr")
            and core <= _drugs_of(effect.experimental)  # cheap necessary condition first
            and arm_gives(kb.vocabulary, effect.experimental, core)
        )
        index.by_core[core] = found
    return found


def _best_per_source(found: Iterable[Match]) -> list[Match]:
    """One match per source: the best-fitting effect (fitting, then population-only misfits)."""
    best: dict[str, Match] = {}
    for match in found:
        current = best.get(match.source.id)
        if current is None or _rank(match) < _rank(current):
            best[match.source.id] = match
    return list(best.values())


def _rank(match: Match) -> tuple[int, int]:
    return (0 if match.fits else 1 if not match.sequence_misfits else 2, len(match.population_misfits))


def choose(
    kb: KnowledgeBase,
    patient: Patient,
    derived: Derived,
    core: list[str],
    source_ids: list[str],
    chemo_lines: int,
) -> EvidenceChoice:
    """The evidence an option cites, its level and ESMO-MCBS score, and any misfit in sequence.

    Once the patient is judged against the trials, the choice depends only on the drugs, the sources
    and the misfits found; patients often share them (most fit the trial or miss it the same way),
    so choices are kept per knowledge base (bounded: misfits can name a case's values)."""
    found = matches(kb, patient, derived, frozenset(core), chemo_lines)
    key = (tuple(core), tuple(source_ids), tuple((m.population_misfits, m.sequence_misfits) for m in found))
    kept = _index(kb).choices
    if len(kept) >= CHOICES_KEPT and key not in kept:
        kept.clear()
    return kept_in(kept, key, _choice, kb, core, source_ids, found)


def _choice(kb: KnowledgeBase, core: list[str], source_ids: list[str], found: list[Match]) -> EvidenceChoice:
    found = _best_per_source(found)
    listed = {s: i for i, s in enumerate(source_ids)}
    found.sort(key=lambda m: (_rank(m)[0], listed.get(m.source.id, len(listed)), _rank(m)[1]))
    chosen = [m for m in found if m.fits] or found[:1]
    trial_ids = {m.source.id for m in chosen}
    others = [kb.sources[s] for s in dict.fromkeys(source_ids) if s not in trial_ids]
    unmatched_trials = [s for s in others if s.kind in CITABLE and not chosen]
    guidelines = [s for s in others if s.kind == "guideline" and _guideline_covers(kb, s, core)]
    index = _index(kb)
    evidence = [_evidence(index, m.source, core, m) for m in chosen]
    evidence += [_evidence(index, s, core, None) for s in [*unmatched_trials, *guidelines]]
    if not evidence:  # every option cites something: the rule's own sources, dated or not
        evidence = [_evidence(index, kb.sources[s], core, None) for s in dict.fromkeys(source_ids)]
    rank, level = _level(chosen, unmatched_trials)
    score = kb.mcbs.get(chosen[0].source.id) if chosen and chosen[0].fits else None
    return EvidenceChoice(
        evidence=evidence,
        level=level,
        level_rank=rank,
        mcbs=_mcbs(score),
        out_of_sequence=list(chosen[0].sequence_misfits) if chosen and not chosen[0].fits else [],
    )


def _mcbs(score: McbsScore | None) -> Mcbs | None:
    """The contract's score: linked to its scorecard when it has an address, and always saying what
    was read, so a page can show the score with its source and version."""
    if score is None:
        return None
    return Mcbs(score=score.score, source=score.url or score.scorecard, scorecard=score.scorecard)


def _guideline_covers(kb: KnowledgeBase, guideline: Source, drugs: Iterable[str]) -> bool:
    """A guideline speaks for a drug only if it is no older than the drug's first trial evidence."""
    first = _index(kb).first_year
    year = guideline.year
    return year is None or all(first.get(d, year) <= year for d in drugs)


def _level(chosen: list[Match], trials: list[Source]) -> tuple[int, str]:
    """ESMO level by design of the cited trial; guideline or consensus alone is level V."""
    designs = [m.source.design for m in chosen] + [s.design for s in trials]
    levels = [LEVEL_OF_DESIGN[d] for d in designs if d is not None]
    rank = min(levels, default=GUIDELINE_LEVEL)
    extrapolated = bool(chosen) and not chosen[0].fits
    return rank + extrapolated, f"LoE {ROMAN[rank - 1]}" + (" (extrapolated)" if extrapolated else "")


def _evidence(index: _Index, source: Source, drugs: list[str], match: Match | None) -> Evidence:
    """The cited source as the plan shows it. Unless extrapolated (the patient's misfits are named),
    it depends on the knowledge base alone, so it is built once and shared (the model is frozen)."""
    population = match.effect.population if match else None
    if match is not None and not match.fits:
        return _cited(index, source, drugs, population, match)
    return kept_in(index.cited, (source.id, tuple(drugs), population), _cited, index, source, drugs, population, None)


def _cited(
    index: _Index, source: Source, drugs: list[str], population: str | None, extrapolated: Match | None
) -> Evidence:
    return Evidence(
        source=source.name,
        source_id=source.id,
        kind=source.kind,
        citation=source.citation,
        pmid=source.pmid,
        doi=source.doi,
        finding=_finding(index, source, drugs, population),
        version=source.version,
        date=source.date,
        extrapolated_from=population if extrapolated else None,
        misfits=[*extrapolated.population_misfits, *extrapolated.sequence_misfits] if extrapolated else [],
    )


def _finding(index: _Index, source: Source, drugs: list[str], population: str | None) -> str | None:
    """The PFS and OS results closest to this option (the matched effect's population first), one line;
    they depend on the knowledge base alone, so each is worked out once."""
    key = (source.id, tuple(drugs), population)
    if key not in index.findings:
        index.findings[key] = _closest_results(source, drugs, population)
    return index.findings[key]


def _closest_results(source: Source, drugs: list[str], population: str | None) -> str | None:
    def closeness(effect: Effect) -> tuple[bool, int]:
        return (effect.population == population, len(set(effect.experimental.drugs) & set(drugs)))

    results = []
    for endpoint in ("pfs", "os", "ttp", "orr"):
        effects = [e for e in source.effects if e.endpoint == endpoint]
        if effects:
            results.append(max(effects, key=closeness).finding())
    return "; ".join(results[:2]) or None


def describe_fit(choice: EvidenceChoice) -> str | None:
    """Short text for the rationale: the first extrapolated evidence and why."""
    for item in choice.evidence:
        if item.extrapolated_from:
            return f"{item.source}: enrolled {item.extrapolated_from}; here {', '.join(item.misfits)}"
    return None
