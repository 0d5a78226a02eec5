"""Drug attributes: inherited from classes and mechanisms, sourced, and complete for every rule that reads them."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
import yaml

from mbctwin.case.vocabulary import VocabularyError, parse_vocabulary
from mbctwin.errors import KnowledgeError
from mbctwin.knowledge.loader import KnowledgeBase, load_kb
from mbctwin.knowledge.validate import validate
from tests.conftest import plan_for

PACKAGED = Path(str(resources.files("mbctwin.knowledge").joinpath("data")))


def _raw() -> dict:
    return yaml.safe_load((PACKAGED / "vocabulary.yaml").read_text())


def _copy_with(tmp_path: Path, raw: dict) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(PACKAGED, root)
    (root / "vocabulary.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return root


def test_a_new_drug_of_a_class_inherits_the_class_attributes() -> None:
    raw = _raw()
    raw["drugs"]["newdrug_deruxtecan"] = {
        "classes": ["trop2_adc"],
        "route": ["iv"],
        "mechanisms": ["deruxtecan_payload"],
    }
    drug = parse_vocabulary(raw).drugs["newdrug_deruxtecan"]
    assert drug.attribute("ild_risk") == "high"  # from the payload
    assert drug.attribute("cytotoxic") is True  # from the class
    assert drug.attribute("pregnancy") == "contraindicated"


def test_both_deruxtecan_conjugates_carry_the_ild_risk_and_sacituzumab_does_not(kb: KnowledgeBase) -> None:
    high = kb.vocabulary.drugs_where("ild_risk", ["high"])
    assert {"trastuzumab_deruxtecan", "datopotamab_deruxtecan"} <= high
    assert "sacituzumab_govitecan" not in high


def test_interstitial_lung_disease_bars_every_deruxtecan_conjugate() -> None:
    plan = plan_for(
        tumor={"her2_ihc": "1+"},
        comorbidities=["interstitial_lung_disease"],
        prior_therapies=[
            {"setting": "metastatic", "drugs": ["letrozole", "palbociclib"], "ended_because": "progression"},
            {"setting": "metastatic", "drugs": ["paclitaxel"], "ended_because": "progression"},
        ],
    )
    offered = {d for o in plan.systemic for d in o.drugs}
    assert not offered & {"trastuzumab_deruxtecan", "datopotamab_deruxtecan"}
    barred = {d for n in plan.not_recommended for d in n.drugs if "interstitial lung disease" in n.why}
    assert {"trastuzumab_deruxtecan", "datopotamab_deruxtecan"} <= barred


def test_a_risk_value_without_a_source_is_refused() -> None:
    raw = _raw()
    raw["drugs"]["capecitabine"]["attributes"] = {"ild_risk": "high"}
    with pytest.raises(VocabularyError, match="needs the sources"):
        parse_vocabulary(raw)


def test_an_unknown_attribute_value_is_refused() -> None:
    raw = _raw()
    raw["drugs"]["capecitabine"]["attributes"] = {"ild_risk": "medium"}
    with pytest.raises(VocabularyError, match="not in"):
        parse_vocabulary(raw)


def test_validate_fails_when_a_drug_lacks_an_attribute_a_rule_needs(tmp_path: Path) -> None:
    raw = _raw()
    raw["drugs"]["newdrug"] = {"classes": ["trop2_adc"], "route": ["iv"]}
    del raw["classes"]["trop2_adc"]["attributes"]["ild_risk"]
    report = validate(load_kb(_copy_with(tmp_path, raw)))
    assert any("newdrug" in e and "ild_risk" in e for e in report.errors)
    assert any("sacituzumab_govitecan" in e for e in report.errors)


def test_the_knowledge_base_reads_the_vocabulary_of_its_own_root(tmp_path: Path) -> None:
    raw = _raw()
    raw["drugs"]["sacituzumab_govitecan"]["mechanisms"] = ["deruxtecan_payload"]  # pretend: for the test only
    kb = load_kb(_copy_with(tmp_path, raw))
    assert "sacituzumab_govitecan" in kb.vocabulary.drugs_where("ild_risk", ["high"])
    assert "sacituzumab_govitecan" not in load_kb().vocabulary.drugs_where("ild_risk", ["high"])


def test_an_attribute_citing_an_unknown_source_fails_loading(tmp_path: Path) -> None:
    raw = _raw()
    raw["drugs"]["capecitabine"]["attributes"] = {"ild_risk": {"value": "high", "sources": ["no_such_label"]}}
    with pytest.raises(KnowledgeError, match="no_such_label"):
        load_kb(_copy_with(tmp_path, raw))
