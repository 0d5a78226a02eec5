"""``mbc cohort``: JSON on stdout only, Parquet outputs, errors that name the option."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from mbctwin.cli import app

runner = CliRunner()


def test_cohort_json_and_outputs(tmp_path: Path) -> None:
    args = ["cohort", "--subtype", "TNBC", "--presentation", "de_novo", "--patients", "200", "--years", "3"]
    result = runner.invoke(app, [*args, "--seed", "3", "--format", "json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["subtype"] == "triple-negative"
    assert summary["presentation"] == "de_novo"
    assert summary["de_novo_percent"] == 100.0
    assert summary["patients"] == 200
    assert set(summary["site_ever_percent"]) == {"bone", "liver", "lung", "brain"}
    assert {"os_median_months", "qalys_mean"} <= set(summary)
    cohort = pd.read_parquet(tmp_path / "cohort.parquet")
    assert len(cohort) == 200
    assert set(cohort["presentation"]) == {"de_novo"}
    assert (tmp_path / "patients.parquet").exists()
    assert (tmp_path / "lines.parquet").exists()


def test_cohort_text_output() -> None:
    result = runner.invoke(app, ["cohort", "--subtype", "HR+/HER2+", "--patients", "100", "--years", "2"])
    assert result.exit_code == 0, result.output
    assert "HR+/HER2+" in result.stdout
    assert "median overall survival" in result.stdout


def test_cohort_errors_name_the_option() -> None:
    bad_subtype = runner.invoke(app, ["cohort", "--subtype", "luminal-Z", "--format", "json"])
    assert bad_subtype.exit_code == 2
    assert bad_subtype.stdout == ""
    assert "subtype" in bad_subtype.stderr
    assert "triple-negative" in bad_subtype.stderr
    bad_presentation = runner.invoke(app, ["cohort", "--subtype", "TNBC", "--presentation", "relapse"])
    assert bad_presentation.exit_code == 2
    assert "presentation" in bad_presentation.stderr
    assert "de_novo" in bad_presentation.stderr
    assert "Traceback" not in bad_presentation.stderr


def test_a_dated_cohort_states_its_era() -> None:
    args = ["cohort", "--subtype", "TNBC", "--patients", "200", "--years", "3", "--treated-from", "2010:2012"]
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    assert data["treated_from"] == [2010.0, 2012.0]
    single = json.loads(runner.invoke(app, [*args[:-1], "2012", "--format", "json"]).stdout)
    assert single["treated_from"] == [2012.0, 2012.0]
    text = runner.invoke(app, args)
    assert "from 2010-2012" in " ".join(text.stdout.split())


def test_a_bad_era_names_the_option() -> None:
    for era in ("2016:2008", "last year", "1850", "2010:2012:2014"):
        result = runner.invoke(app, ["cohort", "--subtype", "TNBC", "--treated-from", era, "--format", "json"])
        assert result.exit_code == 2, era
        assert result.stdout == ""
        assert "--treated-from" in result.stderr
