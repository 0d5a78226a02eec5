"""Clinical vignettes: the shared scorer (when ../shared exists) and the project's own set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mbctwin.case.io import parse_case
from mbctwin.case.vocabulary import vocabulary
from mbctwin.engine.plan import build_plan
from tests.conftest import DATA

OWN = sorted((DATA / "vignettes").glob("*.yaml"))


def test_shared_vignettes_pass_the_shared_scorer(shared_dir: Path) -> None:
    mbc = Path(sys.executable).with_name("mbc")
    runner = str(mbc) if mbc.exists() else f"{sys.executable} -m mbctwin"
    command = f"{runner} plan {{case}} --format json"
    result = subprocess.run(
        [sys.executable, str(shared_dir / "vignettes" / "score.py"), "--cmd", command, str(shared_dir / "vignettes")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _classes(option: dict) -> set[str]:
    return vocabulary().classes_of(option["drugs"]) | set(option.get("classes", []))


def _matches(option: dict, matcher: dict) -> bool:
    drugs, classes = set(option["drugs"]), _classes(option)
    return (
        set(matcher.get("drugs_all", [])) <= drugs
        and set(matcher.get("classes_all", [])) <= classes
        and not set(matcher.get("drugs_none", [])) & drugs
        and not set(matcher.get("classes_none", [])) & classes
    )


@pytest.mark.parametrize("path", OWN, ids=[p.stem for p in OWN])
def test_own_vignettes(path: Path) -> None:
    vignette = yaml.safe_load(path.read_text())
    plan = build_plan(parse_case(vignette["case"])).model_dump(mode="json")
    expect = vignette["expect"]
    systemic = plan["systemic"]
    for key in ("subtype", "line"):
        if key in expect:
            assert plan[key] == expect[key]
    if "first_choice" in expect:
        assert systemic
        assert any(_matches(systemic[0], m) for m in expect["first_choice"]), systemic[0]["drugs"]
    forbidden_drugs = set(expect.get("forbidden_drugs", []))
    forbidden_classes = set(expect.get("forbidden_classes", []))
    for option in systemic:
        assert not set(option["drugs"]) & forbidden_drugs, option["drugs"]
        assert not _classes(option) & forbidden_classes, option["drugs"]
    assert set(expect.get("urgent_all", [])) <= {u["code"] for u in plan["urgent"]}
    supportive = set().union(*(_classes(s) for s in plan["supportive"])) if plan["supportive"] else set()
    assert set(expect.get("supportive_classes_all", [])) <= supportive
    if expect.get("systemic_empty"):
        assert systemic == []
