"""``mbc psa``: JSON only on stdout, Parquet and PNG outputs, exit code 2 naming the bad field."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from mbctwin.cli import app
from tests.conftest import BASE_CASE

runner = CliRunner()
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _write(tmp_path: Path, data: dict, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_psa_json_parquet_and_plots(tmp_path: Path) -> None:
    case = _write(tmp_path, BASE_CASE)
    args = ["psa", str(case), "--draws", "2", "--patients", "60", "--years", "3", "--seed", "4", "--format", "json"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["case_id"] == "base"
    assert summary["draws"] == 2
    stats = summary["outcomes"]["life_years_mean"]
    assert stats["p2_5"] <= stats["median"] <= stats["p97_5"]
    table = pd.read_parquet(tmp_path / "run" / "draws.parquet")
    assert table["draw"].tolist() == [0, 1]
    for name in ("psa_outcomes.png", "psa_qalys.png"):
        assert (tmp_path / "run" / name).read_bytes().startswith(PNG_SIGNATURE)
    assert json.loads(runner.invoke(app, args).stdout) == summary


def test_psa_text_output(tmp_path: Path) -> None:
    case = _write(tmp_path, BASE_CASE)
    result = runner.invoke(app, ["psa", str(case), "--draws", "2", "--patients", "50", "--years", "2"])
    assert result.exit_code == 0, result.output
    assert "mean QALYs" in result.stdout


def test_psa_refuses_bad_input_naming_the_field(tmp_path: Path) -> None:
    case = _write(tmp_path, BASE_CASE)
    bad = _write(
        tmp_path,
        {
            "efficacy": {
                "hazard_ratio_se_scale": {"value": 1.0, "note": "assumption"},
                "median_relative_sd": {"value": 0.1, "note": "assumption"},
            },
            "parameters": {"attrition_typo": {"distribution": "beta", "sample_size": 10, "note": "assumption"}},
        },
        "uncertainty.yaml",
    )
    result = runner.invoke(app, ["psa", str(case), "--uncertainty", str(bad), "--draws", "2", "--format", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "parameters.attrition_typo" in result.stderr
    assert runner.invoke(app, ["psa", str(case), "--policy", "coinflip"]).exit_code == 2
    assert runner.invoke(app, ["psa", str(case), "--scheduler", "mpi"]).exit_code == 2
    assert runner.invoke(app, ["psa", str(case), "--uncertainty", str(tmp_path / "none.yaml")]).exit_code == 2
    invalid_case = _write(tmp_path, {**BASE_CASE, "ecog": 8}, "bad.yaml")
    refused = runner.invoke(app, ["psa", str(invalid_case), "--format", "json"])
    assert refused.exit_code == 2
    assert refused.stdout == ""
