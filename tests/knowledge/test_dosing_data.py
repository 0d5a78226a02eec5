"""Dose data: every regimen drug has a cited schedule, and broken dose data is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from mbctwin.cli import app
from mbctwin.errors import KnowledgeError
from mbctwin.knowledge.loader import KnowledgeBase, load_kb
from mbctwin.knowledge.schema import Administration, LabAdjustment, Schedule
from mbctwin.knowledge.validate import validate
from tests.knowledge.test_loader import PACKAGED, _edit, data_copy  # noqa: F401 (fixture)

SCHEDULES = "dosing/schedules/chemotherapy.yaml"


def test_every_regimen_drug_and_added_drug_has_a_cited_schedule(kb: KnowledgeBase) -> None:
    for regimen in kb.regimens.values():
        for drug in regimen.drugs:
            schedule = kb.dosing.schedule(drug, regimen.id)
            assert schedule is not None, f"{regimen.id}: {drug}"
            assert schedule.source in kb.sources
            assert schedule.locator
    assert {d for m in kb.modifiers for d in m.add_drugs} <= set(kb.dosing.default)


def test_regimen_specific_schedules_override_the_default(kb: KnowledgeBase) -> None:
    assert kb.dosing.schedule("paclitaxel").doses[0].amount == 175
    assert kb.dosing.schedule("paclitaxel", "paclitaxel").doses[0].amount == 80
    assert kb.dosing.schedule("capecitabine", "neratinib_capecitabine").doses[0].amount == 750
    assert kb.dosing.schedule("capecitabine", "capecitabine").doses[0].amount == 1250


def test_days_expand_for_cost_models(kb: KnowledgeBase) -> None:
    capivasertib = kb.dosing.default["capivasertib"].doses[0]
    assert len(capivasertib.day_numbers) == 16
    assert capivasertib.times_per_day == 2
    fulvestrant = kb.dosing.default["fulvestrant"]
    assert fulvestrant.first_cycle is not None
    assert fulvestrant.first_cycle[0].day_numbers == (1, 15)
    assert fulvestrant.doses[0].day_numbers == (1,)


def test_validate_fails_when_a_regimen_drug_has_no_dose(data_copy: Path) -> None:  # noqa: F811
    path = data_copy / SCHEDULES
    records = [r for r in yaml.safe_load(path.read_text()) if r["drug"] != "eribulin"]
    path.write_text(yaml.safe_dump(records, sort_keys=False))
    errors = validate(load_kb(data_copy)).errors
    assert "eribulin: no dose data for eribulin (dosing/schedules)" in errors
    assert "trastuzumab_eribulin: no dose data for eribulin (dosing/schedules)" in errors
    result = CliRunner().invoke(app, ["kb", "validate", "--root", str(data_copy)])
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"drug": "paclitaxol"}, "unknown drug 'paclitaxol'"),
        ({"source": "no_such_label"}, "unknown source 'no_such_label'"),
        ({"default": False, "regimens": ["docetaxel"]}, "does not hold paclitaxel"),
        ({"cycle_days": 0}, "cycle_days"),
    ],
)
def test_loader_refuses_broken_schedules(data_copy: Path, changes: dict, message: str) -> None:  # noqa: F811
    _edit(data_copy / SCHEDULES, 0, **changes)
    with pytest.raises(KnowledgeError, match=message) as caught:
        load_kb(data_copy)
    assert "chemotherapy.yaml" in caught.value.where


def test_loader_refuses_a_second_default(data_copy: Path) -> None:  # noqa: F811
    _edit(data_copy / SCHEDULES, 1, default=True, regimens=[])
    with pytest.raises(KnowledgeError, match="second default schedule for paclitaxel"):
        load_kb(data_copy)


def test_schema_refuses_days_beyond_the_cycle_and_actions_without_a_dose() -> None:
    dose = {"amount": 80, "basis": "per_m2", "route": "iv", "days": [1, 8, 15, 22]}
    with pytest.raises(ValidationError, match="beyond the 21-day cycle"):
        Schedule.model_validate(
            {"id": "x", "drug": "paclitaxel", "cycle_days": 21, "doses": [dose], "source": "s", "locator": "l"}
        )
    with pytest.raises(ValidationError, match="AUC"):
        Administration.model_validate({"amount": 5, "basis": "auc", "route": "iv", "days": [1]})
    band = [{"lab": "bilirubin_x_uln", "gt": 1}]
    with pytest.raises(ValidationError, match="exactly one of dose_percent or dose_amount"):
        LabAdjustment.model_validate({"when": band, "action": "reduce", "label_says": "x", "locator": "y"})
    with pytest.raises(ValidationError, match="at least one bound"):
        LabAdjustment.model_validate(
            {"when": [{"lab": "alt_x_uln"}], "action": "avoid", "label_says": "x", "locator": "y"}
        )
