"""``mbc calibrate``: JSON only on stdout, the HTML report, exit codes with and without --strict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mbctwin.cli import app
from mbctwin.course import calibration
from mbctwin.course.calibration import CalibrationResult, TrialCalibration, check_trial, shipped_trials
from mbctwin.course.trial import ArmSummary, Published, TrialReport

runner = CliRunner()


def test_calibrate_json_on_stdout_and_html_report(tmp_path: Path) -> None:
    (spec,) = [p for p in shipped_trials() if p.stem == "keynote355"]
    out = tmp_path / "calibration.html"
    result = runner.invoke(
        app,
        ["calibrate", "--trial", str(spec), "--scale", "0.1", "--seed", "3", "--no-sites", "--format", "json",
         "--report", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["seed"] == 3
    assert data["scale"] == 0.1
    assert data["report"] == str(out)
    assert [t["name"] for t in data["trials"]] == ["KEYNOTE-355 (CPS >= 10)"]
    assert data["counts"]["targets"] == len(data["targets"]) == 3
    html = out.read_text(encoding="utf-8")
    assert html.count("<img ") == 3
    assert 'id="targets"' in html


def _one_miss(**_: object) -> CalibrationResult:
    arms = (ArmSummary("a", 10, None, 30.0), ArmSummary("b", 10, None, 10.0))
    published = Published(os_median_months=[30.0, 20.0], os_hr=0.5)
    report = TrialReport("SYNTH", arms, (1.0, 1.0, 1.0), (0.5, 0.4, 0.6), published)
    trial = TrialCalibration("SYNTH", "synth", 1, 10, report, tuple(check_trial(report)))
    return CalibrationResult("v", "kb", 1, 1.0, "today", (trial,))


@pytest.mark.parametrize(("flags", "code"), [([], 0), (["--strict"], 1)])
def test_missed_targets_exit_0_unless_strict(monkeypatch: pytest.MonkeyPatch, flags: list[str], code: int) -> None:
    monkeypatch.setattr(calibration, "calibrate", _one_miss)
    result = runner.invoke(app, ["calibrate", *flags])
    assert result.exit_code == code, result.output
    assert "targets met: 2/3" in result.stdout
    assert "missed: SYNTH · b" in result.stdout


def test_replicates_print_the_mean_table() -> None:
    (spec,) = [p for p in shipped_trials() if p.stem == "ascent"]
    flags = ["calibrate", "--trial", str(spec), "--scale", "0.1", "--no-sites", "--replicates", "2"]
    result = runner.invoke(app, flags)
    assert result.exit_code == 0, result.output
    assert "Over 2 runs per trial" in result.stdout
    assert "expected values met:" in result.stdout
    assert "/3" in result.stdout
    data = json.loads(runner.invoke(app, [*flags, "--format", "json"]).stdout)
    assert data["counts"]["runs_per_trial"] == 2
    assert [t["runs"] for t in data["replicated_targets"]] == [2, 2, 2]


def test_calibrate_refuses_bad_options(tmp_path: Path) -> None:
    assert runner.invoke(app, ["calibrate", "--scheduler", "mpi"]).exit_code == 2
    assert runner.invoke(app, ["calibrate", "--replicates", "0"]).exit_code == 2
    assert runner.invoke(app, ["calibrate", "--report", str(tmp_path / "r.pdf")]).exit_code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    result = runner.invoke(app, ["calibrate", "--trial", str(bad), "--no-sites", "--format", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""
