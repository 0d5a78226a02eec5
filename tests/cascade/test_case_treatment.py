"""Case → cascade configuration, regimens → therapies, `mbc cascade run --case/--treatment` and `compare`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mbctwin.cascade.config import CascadeConfig
from mbctwin.cascade.extensions import seeding_weights
from mbctwin.cascade.treatment import config_from_case, proliferation_factor, therapies_from
from mbctwin.case.io import example_case
from mbctwin.cli import app

from ._small import SMALL

runner = CliRunner()
EXAMPLES = Path(__file__).parents[2] / "src" / "mbctwin" / "case" / "examples"


def test_proliferation_factor_mapping():
    assert proliferation_factor(20, None) == 1.0
    assert proliferation_factor(40, 1) == 2.0
    assert proliferation_factor(90, None) == 2.0
    assert proliferation_factor(2, None) == 0.5
    assert [proliferation_factor(None, g) for g in (1, 2, 3, None)] == [0.75, 1.0, 1.5, 1.0]


def test_config_from_hr_positive_case():
    ext = config_from_case(example_case("hr-positive-first-line"))  # ER 90 %, HER2 1+, Ki-67 18 %
    assert ext.subtype == "HR+/HER2-"
    assert ext.er_fraction == 0.9
    assert ext.her2_fraction == 0.0
    assert ext.core.doubling_time_mesenchymal == round(2000 / 0.9)
    names = [o.name for o in ext.organs]
    w = dict(zip(names, seeding_weights(ext), strict=True))
    assert w["brain"] < w["liver"] < w["bone"]


def test_config_from_her2_positive_case():
    ext = config_from_case(example_case("her2-positive-brain"), core=CascadeConfig(grid_size=41))
    assert ext.subtype == "HR+/HER2+"
    assert ext.her2_fraction == 0.9
    assert ext.er_fraction == 0.4
    assert ext.core.doubling_time_epithelial == 2000
    assert ext.core.grid_size == 41
    tnbc = config_from_case(example_case("triple-negative-first-line"))
    assert tnbc.er_fraction == 0.0
    assert seeding_weights(tnbc)[1] > seeding_weights(ext)[1]


@pytest.mark.parametrize(
    ("name", "kinds", "ignored"),
    [
        ("letrozole_ribociclib", {"endocrine"}, []),
        ("paclitaxel", {"chemotherapy"}, []),
        ("trastuzumab,pertuzumab,docetaxel", {"anti_her2", "chemotherapy"}, []),
        ("olaparib", set(), ["parp_inhibitor"]),
    ],
)
def test_regimens_map_to_therapies(name, kinds, ignored):
    therapies, left = therapies_from(name, start_step=7)
    assert {t.kind for t in therapies} == kinds
    assert left == ignored
    assert all(t.start_step == 7 for t in therapies)


def test_unknown_drug_is_an_error():
    with pytest.raises(KeyError):
        therapies_from("not_a_drug")


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    return path


def test_cli_run_with_case_and_treatment(tmp_path: Path):
    out = tmp_path / "run"
    case = str(EXAMPLES / "hr-positive-first-line.yaml")
    args = [
        "cascade",
        "run",
        "--config",
        str(_config(tmp_path)),
        "--case",
        case,
        "--treatment",
        "letrozole_ribociclib",
        "--start-step",
        "10",
        "--steps",
        "60",
        "--seed",
        "1",
        "--out",
        str(out),
        "--save-every",
        "30",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    ext = json.loads((out / "extensions.json").read_text())
    assert ext["therapies"][0]["kind"] == "endocrine"
    assert ext["therapies"][0]["start_step"] == 10
    record = json.loads((out / "stats.json").read_text())["records"][-1]
    assert "cells_bone" in record
    assert "cells_brain" in record


def test_cli_bad_treatment_exits_2(tmp_path: Path):
    args = [
        "cascade",
        "run",
        "--config",
        str(_config(tmp_path)),
        "--treatment",
        "nonsense",
        "--steps",
        "5",
        "--seed",
        "1",
        "--out",
        str(tmp_path / "x"),
    ]
    assert runner.invoke(app, args).exit_code == 2


def test_cli_compare_writes_plot_and_json(tmp_path: Path):
    out = tmp_path / "cmp"
    args = [
        "cascade",
        "compare",
        "--config",
        str(_config(tmp_path)),
        "--case",
        str(EXAMPLES / "triple-negative-first-line.yaml"),
        "--treatment",
        "paclitaxel",
        "--steps",
        "60",
        "--seeds",
        "1,2",
        "--out",
        str(out),
        "--save-every",
        "20",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary["final"]) == {"untreated", "treated"}
    assert len(summary["final"]["treated"]["cells_primary"]) == 2
    assert (out / "organs.png").stat().st_size > 0
    assert (out / "comparison.json").is_file()
