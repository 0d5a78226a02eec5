"""Load the knowledge base from the package's YAML data and check every cross-reference.

The loader fails on an unknown drug, class, fact, regimen or source and names the file
and record, so a typo in the data can never silently drop a contraindication.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from mbctwin.case.vocabulary import Vocabulary, VocabularyError, load_vocabulary
from mbctwin.case.vocabulary import vocabulary as packaged_vocabulary
from mbctwin.datafiles import read_data
from mbctwin.errors import KnowledgeError
from mbctwin.knowledge.conditions import fact_names
from mbctwin.knowledge.dosing import DoseBook
from mbctwin.knowledge.kept import kept_by_identity
from mbctwin.knowledge.schema import (
    DrugLabel,
    Exclusion,
    FactSpec,
    GoalRule,
    LocalRule,
    McbsScore,
    Modifier,
    PlausibilityRule,
    Regimen,
    Schedule,
    Source,
    SupportiveRule,
    SystemicRule,
    TestRule,
    UrgentRule,
)

Record = TypeVar("Record", bound=BaseModel)
T = TypeVar("T")
TEMPLATE_FIELD = re.compile(r"\{([a-z0-9_]+)\}")


@dataclass(frozen=True)
class KnowledgeBase:
    """The whole validated knowledge base; records keep their file order (it breaks ties).

    ``vocabulary`` is the one loaded from this knowledge base's own root, so drug attributes and the
    rules written on them always come from the same data."""

    version: str
    vocabulary: Vocabulary
    facts: dict[str, FactSpec]
    sources: dict[str, Source]
    regimens: dict[str, Regimen]
    systemic: list[SystemicRule]
    modifiers: list[Modifier]
    exclusions: list[Exclusion]
    urgent: list[UrgentRule]
    local: list[LocalRule]
    supportive: list[SupportiveRule]
    tests: list[TestRule]
    goals: list[GoalRule]
    mcbs: dict[str, McbsScore] = field(default_factory=dict)  # trial id -> its published ESMO-MCBS score
    origin: dict[str, str] = field(default_factory=dict)  # record id -> file it came from
    dosing: DoseBook = field(default_factory=DoseBook)
    plausibility: list[PlausibilityRule] = field(default_factory=list)


def per_knowledge_base(build: Callable[[KnowledgeBase], T]) -> Callable[[KnowledgeBase], T]:
    """``build(kb)`` worked out once per knowledge base and kept: what depends only on the rules (an
    index of trial effects, the comorbidity codes the rules test) is then not redone for every plan."""
    return kept_by_identity(limit=16)(build)


def _read_list(path: Traversable, model: type[Record], origin: dict[str, str]) -> list[Record]:
    raw = read_data(path.read_text(encoding="utf-8")) or []
    if not isinstance(raw, list):
        raise KnowledgeError(path.name, "expected a YAML list of records")
    records = []
    for index, item in enumerate(raw):
        where = f"{path.name}#{item.get('id', index) if isinstance(item, dict) else index}"
        try:
            record = model.model_validate(item)
        except ValidationError as error:
            first = error.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise KnowledgeError(where, f"{loc}: {first['msg']}") from None
        key = str(getattr(record, "id", None) or getattr(record, "name", ""))  # every record kind has one
        if key in origin:
            raise KnowledgeError(where, f"duplicate id {key!r} (also in {origin[key]})")
        origin[key] = path.name
        records.append(record)
    return records


def _mcbs_scores(data: Traversable) -> dict[str, McbsScore]:
    """``mcbs.yaml`` (optional): trial id -> its published ESMO-MCBS score, one per trial."""
    path = data.joinpath("mcbs.yaml")
    scores: dict[str, McbsScore] = {}
    for index, item in enumerate((read_data(path.read_text(encoding="utf-8")) or []) if path.is_file() else []):
        try:
            score = McbsScore.model_validate(item)
        except ValidationError as error:
            raise KnowledgeError(f"mcbs.yaml#{index}", str(error.errors()[0]["msg"])) from None
        if score.trial in scores:
            raise KnowledgeError(f"mcbs.yaml#{index}", f"second score for {score.trial}")
        scores[score.trial] = score
    return scores


def _read_folder(folder: Traversable, model: type[Record], origin: dict[str, str]) -> list[Record]:
    files = sorted((p for p in folder.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name)
    return [record for path in files for record in _read_list(path, model, origin)]


def _rules(data: Traversable, stem: str, model: type[Record], origin: dict[str, str]) -> list[Record]:
    """Rules of one kind: ``rules/<stem>.yaml`` and any ``rules/<stem>_*.yaml``, in name order."""
    folder = data.joinpath("rules")
    files = sorted(
        (p for p in folder.iterdir() if p.name == f"{stem}.yaml" or p.name.startswith(f"{stem}_")),
        key=lambda p: p.name,
    )
    return [record for path in files for record in _read_list(path, model, origin)]


def load_kb(root: str | Path | None = None) -> KnowledgeBase:
    """Load and validate the knowledge base (the packaged one unless ``root`` is given).

    The packaged knowledge base is loaded once per process; its files are read through the
    parsed-data cache of :mod:`mbctwin.datafiles`.

    Parameters
    ----------
    root
        A data folder of the same layout as ``mbctwin/knowledge/data``.

    Returns
    -------
    KnowledgeBase
        Sources, regimens and rules, every cross-reference checked.

    Raises
    ------
    KnowledgeError
        Naming the file and record that is malformed or refers to something unknown.

    Examples
    --------
    >>> kb = load_kb()
    >>> kb.regimens["letrozole_ribociclib"].drugs
    ['letrozole', 'ribociclib']
    """
    if root is None:
        return _packaged_kb()
    return _load(Path(root))


@cache
def _packaged_kb() -> KnowledgeBase:
    """The packaged vocabulary is the one every case was checked against: parsed once for both."""
    return _load(resources.files("mbctwin.knowledge").joinpath("data"), packaged_vocabulary())


def _load(data: Traversable, vocabulary: Vocabulary | None = None) -> KnowledgeBase:
    """The knowledge base of ``data``, with its own vocabulary unless that is given already parsed."""
    origin: dict[str, str] = {}
    manifest = read_data(data.joinpath("manifest.yaml").read_text(encoding="utf-8"))
    try:
        vocabulary = vocabulary or load_vocabulary(data)
    except VocabularyError as error:
        raise KnowledgeError("vocabulary.yaml", str(error)) from None
    kb = KnowledgeBase(
        version=str(manifest["version"]),
        vocabulary=vocabulary,
        facts={f.name: f for f in _read_list(data.joinpath("facts.yaml"), FactSpec, {})},
        sources={s.id: s for s in _read_folder(data.joinpath("sources"), Source, origin)},
        regimens={r.id: r for r in _read_folder(data.joinpath("regimens"), Regimen, origin)},
        systemic=_rules(data, "systemic", SystemicRule, origin),
        modifiers=_rules(data, "modifiers", Modifier, origin),
        exclusions=_rules(data, "exclusions", Exclusion, origin),
        urgent=_rules(data, "urgent", UrgentRule, origin),
        local=_rules(data, "local", LocalRule, origin),
        supportive=_rules(data, "supportive", SupportiveRule, origin),
        tests=_rules(data, "tests", TestRule, origin),
        goals=_rules(data, "goals", GoalRule, origin),
        mcbs=_mcbs_scores(data),
        origin=origin,
        dosing=_dose_book(data.joinpath("dosing"), origin),
        plausibility=_rules(data, "plausibility", PlausibilityRule, origin),
    )
    _check_references(kb)
    return kb


def _dose_book(folder: Traversable, origin: dict[str, str]) -> DoseBook:
    """Schedules (``dosing/schedules/*.yaml``) and label adjustments (``dosing/labels/*.yaml``)."""
    if not folder.is_dir():
        return DoseBook()
    return DoseBook.of(
        _read_folder(folder.joinpath("schedules"), Schedule, origin),
        _read_folder(folder.joinpath("labels"), DrugLabel, origin),
    )


def _check_references(kb: KnowledgeBase) -> None:
    """Fail on the first reference to something the knowledge base or vocabulary lacks."""
    for record_id, problem in _reference_problems(kb):
        raise KnowledgeError(f"{kb.origin.get(record_id, '?')}#{record_id}", problem)


def _reference_problems(kb: KnowledgeBase) -> Iterator[tuple[str, str]]:
    vocab = kb.vocabulary
    yield from (("vocabulary", conflict) for conflict in vocab.conflicts)
    for source_id, drugs in sorted(vocab.sources_cited().items()):
        if source_id not in kb.sources:
            yield "vocabulary", f"unknown source {source_id!r} in the attributes of {sorted(drugs)}"
    yield from ((trial, "ESMO-MCBS score for an unknown trial") for trial in kb.mcbs if trial not in kb.sources)
    for source in kb.sources.values():
        for effect in source.effects:
            arms = [effect.experimental, *([effect.control] if effect.control else [])]
            for drug in [d for arm in arms for d in [*arm.drugs, *(d for p in arm.partner_choice for d in p)]]:
                if drug not in vocab.drugs:
                    yield source.id, f"unknown drug {drug!r} in an effect arm"
    for regimen in kb.regimens.values():
        yield from ((regimen.id, f"unknown drug {d!r}") for d in regimen.drugs if d not in vocab.drugs)
        yield from ((regimen.id, f"unknown source {s!r}") for s in regimen.sources if s not in kb.sources)
    yield from _dosing_problems(kb)
    rules: list[Any] = [
        *kb.plausibility,
        *kb.systemic,
        *kb.modifiers,
        *kb.exclusions,
        *kb.urgent,
        *kb.local,
        *kb.supportive,
        *kb.tests,
        *kb.goals,
    ]
    for rule in rules:
        yield from ((rule.id, problem) for problem in _rule_problems(kb, rule))


def _dosing_problems(kb: KnowledgeBase) -> Iterator[tuple[str, str]]:
    """Schedules and labels name known drugs, sources and regimens; a drug has one default."""
    defaults: dict[str, str] = {}
    specific: dict[tuple[str, str], str] = {}
    for schedule in kb.dosing.schedules.values():
        yield from _source_and_drug(kb, schedule.id, schedule.source, schedule.drug)
        if schedule.default and defaults.setdefault(schedule.drug, schedule.id) != schedule.id:
            yield schedule.id, f"second default schedule for {schedule.drug} (also {defaults[schedule.drug]})"
        for regimen_id in schedule.regimens:
            regimen = kb.regimens.get(regimen_id)
            if regimen is None or schedule.drug not in regimen.drugs:
                yield schedule.id, f"regimen {regimen_id!r} does not exist or does not hold {schedule.drug}"
            elif (earlier := specific.setdefault((regimen_id, schedule.drug), schedule.id)) != schedule.id:
                yield schedule.id, f"{regimen_id} already gives {schedule.drug} by {earlier}"
    for label in kb.dosing.labels.values():
        yield from _source_and_drug(kb, label.id, label.source, label.drug)
        for adjustment in label.adjustments:
            if adjustment.source is not None and adjustment.source not in kb.sources:
                yield label.id, f"unknown source {adjustment.source!r} in an adjustment"
    for rule in kb.plausibility:
        yield from ((rule.id, f"unknown fact {fact!r}") for fact in rule.facts if fact not in kb.facts)


def _source_and_drug(kb: KnowledgeBase, record_id: str, source: str, drug: str) -> Iterator[tuple[str, str]]:
    if source not in kb.sources:
        yield record_id, f"unknown source {source!r}"
    if drug not in kb.vocabulary.drugs:
        yield record_id, f"unknown drug {drug!r}"


def _rule_problems(kb: KnowledgeBase, rule: Any) -> Iterator[str]:
    vocab = kb.vocabulary
    yield from _attribute_selector_problems(vocab, getattr(rule, "attributes", {}))
    known_classes = set(vocab.classes) | set(vocab.groups) | set(vocab.supportive_classes)
    texts = " ".join(
        getattr(rule, name, "") or ""
        for name in ("because", "reason", "action", "regimen", "message", "demote_because")
    )
    checks: list[tuple[Iterable[str], Collection[str], str]] = [
        ([*fact_names(rule.when), *fact_names(getattr(rule, "demote_when", None) or {})], kb.facts, "fact"),
        (TEMPLATE_FIELD.findall(texts), kb.facts, "fact in text"),
        (rule.sources, kb.sources, "source"),
        ([*getattr(rule, "drugs", []), *getattr(rule, "add_drugs", [])], vocab.drugs, "drug"),
        ([*getattr(rule, "classes", []), *getattr(rule, "if_option_has_class_any", [])], known_classes, "class"),
        (getattr(rule, "recommend", []), kb.regimens, "regimen"),
    ]
    for names, known, what in checks:
        yield from (f"unknown {what} {name!r}" for name in names if name not in known)


def _attribute_selector_problems(vocab: Vocabulary, selector: dict[str, list[Any]]) -> Iterator[str]:
    """An exclusion written on an attribute must name a declared attribute and its allowed values."""
    for name, values in selector.items():
        spec = vocab.attribute_specs.get(name)
        if spec is None:
            yield f"unknown attribute {name!r}"
            continue
        yield from (f"attribute {name}: unknown value {v!r}" for v in values if v not in spec.values)
