"""The packaged knowledge base is sound, and the loader refuses broken data with its place."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
import yaml

from mbctwin.case.vocabulary import vocabulary
from mbctwin.engine.facts import case_facts
from mbctwin.errors import KnowledgeError
from mbctwin.knowledge.loader import KnowledgeBase, load_kb
from mbctwin.knowledge.validate import validate
from tests.conftest import case_with

PACKAGED = Path(str(resources.files("mbctwin.knowledge").joinpath("data")))


def test_packaged_knowledge_base_has_no_errors(kb: KnowledgeBase) -> None:
    report = validate(kb)
    assert report.errors == []
    assert kb.version


def test_every_regimen_and_systemic_rule_cites_a_source(kb: KnowledgeBase) -> None:
    for regimen in kb.regimens.values():
        assert regimen.sources
    for rule in kb.systemic:
        assert rule.sources
        assert all(s in kb.sources for s in rule.sources)


def test_every_drug_named_anywhere_is_in_the_vocabulary(kb: KnowledgeBase) -> None:
    drugs = set(vocabulary().drugs)
    named = {d for r in kb.regimens.values() for d in r.drugs}
    named |= {d for rule in kb.exclusions for d in rule.drugs} | {d for m in kb.modifiers for d in m.add_drugs}
    named |= {d for s in kb.sources.values() for e in s.effects for d in e.experimental.drugs}
    assert named <= drugs


def test_vocabulary_matches_the_shared_spec(shared_dir: Path) -> None:
    """Every class and drug of vocabulary.md is present under the same name."""
    import re

    text = (shared_dir / "spec" / "vocabulary.md").read_text()
    vocab = vocabulary()
    for cls, members in re.findall(r"^\| ([a-z0-9_]+) \| ([a-z0-9_, ]+) \|$", text, re.M):
        if cls == "class":
            continue
        assert {m.strip() for m in members.split(",")} <= vocab.classes[cls], cls


def test_trial_effects_are_structured_numbers(kb: KnowledgeBase) -> None:
    with_effects = [s for s in kb.sources.values() if s.kind == "trial" and s.effects]
    assert len(with_effects) >= 30
    for source in with_effects:
        for effect in source.effects:
            assert effect.endpoint
            assert effect.population
            if effect.hr_ci95:
                assert effect.hr_ci95[0] <= effect.hr <= effect.hr_ci95[1]


def test_facts_declared_are_exactly_the_facts_built(kb: KnowledgeBase) -> None:
    assert set(case_facts(case_with())) == set(kb.facts)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(PACKAGED, target)
    return target


def _edit(path: Path, index: int, **changes: object) -> None:
    records = yaml.safe_load(path.read_text())
    records[index].update(changes)
    path.write_text(yaml.safe_dump(records, sort_keys=False))


@pytest.mark.parametrize(
    ("file", "changes", "message"),
    [
        ("regimens/endocrine.yaml", {"drugs": ["letrozol"]}, "unknown drug 'letrozol'"),
        ("regimens/endocrine.yaml", {"sources": ["no_such_trial"]}, "unknown source 'no_such_trial'"),
        ("rules/exclusions.yaml", {"when": {"fact": "ecgo", "gte": 4}}, "unknown fact 'ecgo'"),
        ("rules/exclusions.yaml", {"when": {"fact": "ecog", "above": 4}}, "OP in"),
        ("rules/exclusions.yaml", {"classes": ["anti_her3"]}, "unknown class 'anti_her3'"),
        ("rules/exclusions.yaml", {"reason": "ECOG {ecgo}"}, "unknown fact in text 'ecgo'"),
        ("rules/systemic_1_hr_pos.yaml", {"recommend": ["letrozole_ribociclibb"]}, "unknown regimen"),
        ("rules/systemic_1_hr_pos.yaml", {"tier": 7}, "tier"),
        ("rules/urgent.yaml", {"code": "headache"}, "code"),
        ("rules/exclusions.yaml", {"id": "heart_failure_no_cardiotoxic"}, "duplicate id"),
    ],
)
def test_loader_names_file_and_record(data_copy: Path, file: str, changes: dict, message: str) -> None:
    _edit(data_copy / file, 0, **changes)
    with pytest.raises(KnowledgeError, match=message) as caught:
        load_kb(data_copy)
    assert Path(file).name in caught.value.where


def test_loader_accepts_an_unchanged_copy(data_copy: Path) -> None:
    assert load_kb(data_copy).version == load_kb().version
