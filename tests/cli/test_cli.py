"""The ``mbc`` command line: outputs, exit codes and the stdout/stderr split."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mbctwin.cli import app
from tests.conftest import BASE_CASE

runner = CliRunner()


def _write(tmp_path: Path, data: dict, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_plan_json_prints_only_the_plan_on_stdout(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", str(_write(tmp_path, BASE_CASE)), "--format", "json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["case_id"] == "base"
    assert plan["systemic"][0]["rank"] == 1
    assert result.stdout.strip() == json.dumps(plan, sort_keys=True, indent=2, ensure_ascii=False)


def test_invalid_case_exits_2_naming_each_field_with_nothing_on_stdout(tmp_path: Path) -> None:
    bad = {**BASE_CASE, "ecog": 7, "tumor": {**BASE_CASE["tumor"], "her2_ihc": "5+"}, "extra_thing": 1}
    result = runner.invoke(app, ["plan", str(_write(tmp_path, bad)), "--format", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    for field in ("ecog", "tumor.her2_ihc", "extra_thing"):
        assert field in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


@pytest.mark.parametrize(("fmt", "marker"), [("text", "Systemic therapy"), ("markdown", "## Systemic therapy")])
def test_readable_formats(tmp_path: Path, fmt: str, marker: str) -> None:
    result = runner.invoke(app, ["plan", str(_write(tmp_path, BASE_CASE)), "--format", fmt])
    assert result.exit_code == 0
    assert marker in result.stdout
    assert "tumour board" in result.stdout


def test_demo_plans_the_bundled_case() -> None:
    result = runner.invoke(app, ["demo", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["case_id"] == "example-hr-positive-first-line"


def test_examples_list_and_print_valid_cases(tmp_path: Path) -> None:
    listed = runner.invoke(app, ["example"]).stdout.split()
    assert "her2-positive-brain" in listed
    printed = runner.invoke(app, ["example", "her2-positive-brain"]).stdout
    path = tmp_path / "brain.yaml"
    path.write_text(printed)
    assert runner.invoke(app, ["plan", str(path), "--format", "json"]).exit_code == 0
    assert runner.invoke(app, ["example", "no-such-example"]).exit_code == 2


def test_kb_commands() -> None:
    listed = runner.invoke(app, ["kb", "list", "--json"])
    assert listed.exit_code == 0
    ids = {r["id"] for r in json.loads(listed.stdout)["regimens"]}
    assert "letrozole_ribociclib" in ids
    shown = json.loads(runner.invoke(app, ["kb", "show", "letrozole_ribociclib"]).stdout)
    assert shown["sources"][0]["name"] == "MONALEESA-2"
    assert shown["recommended_by"]
    assert runner.invoke(app, ["kb", "show", "nothing"]).exit_code == 2
    validated = runner.invoke(app, ["kb", "validate"])
    assert validated.exit_code == 0
    assert "valid" in validated.stderr


def test_simulate_json_and_parquet_outputs(tmp_path: Path) -> None:
    case = _write(tmp_path, BASE_CASE)
    args = ["simulate", str(case), "--patients", "500", "--years", "5", "--seed", "2", "--format", "json"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["patients"] == 500
    assert summary["os_median_months"] is None or summary["os_median_months"] > 0
    assert (tmp_path / "run" / "patients.parquet").exists()
    assert json.loads(runner.invoke(app, args).stdout) == summary


def test_simulate_refuses_bad_policy_and_bad_case(tmp_path: Path) -> None:
    case = _write(tmp_path, BASE_CASE)
    assert runner.invoke(app, ["simulate", str(case), "--policy", "coinflip"]).exit_code == 2
    bad = _write(tmp_path, {**BASE_CASE, "ecog": 8}, "bad.yaml")
    result = runner.invoke(app, ["simulate", str(bad), "--format", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""


def test_trial_command_prints_json(tmp_path: Path) -> None:
    from importlib import resources

    spec = Path(str(resources.files("mbctwin.course").joinpath("trials", "her2climb.yaml")))
    result = runner.invoke(app, ["trial", str(spec), "--seed", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["name"] == "HER2CLIMB"
    assert len(report["os_hr"]) == 3


def test_markdown_gives_each_scored_options_mcbs_and_the_plans_assumptions(tmp_path: Path) -> None:
    from mbctwin.case.io import example_case
    from mbctwin.engine.plan import build_plan

    case = example_case("triple-negative-first-line")  # no labs: the plan assumes normal organ function
    plan = build_plan(case)
    path = _write(tmp_path, case.model_dump(mode="json", exclude_defaults=True))
    result = runner.invoke(app, ["plan", str(path), "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert plan.assumptions
    assumed = result.stdout.split("## Assumed because the case lacks it")[1].split("\n## ")[0]
    assert all(f"- {a}" in assumed for a in plan.assumptions)
    systemic = result.stdout.split("## Systemic therapy")[1].split("\n## ")[0].strip()
    blocks = re.split(r"\n(?=\d+\. )", systemic)
    assert len(blocks) == len(plan.systemic)
    for option, block in zip(plan.systemic, blocks, strict=True):
        assert block.startswith(f"{option.rank}. ")
        if option.mcbs:
            assert f"ESMO-MCBS score {option.mcbs.score} (non-curative scale 1\u20135" in block
            assert option.mcbs.source in block
        else:
            assert "MCBS" not in block


def test_the_terminal_view_lists_each_mcbs_source_once_with_the_ranks_it_scores() -> None:
    from mbctwin.case.io import example_case
    from mbctwin.cli.render import mcbs_lines
    from mbctwin.engine.plan import build_plan

    plan = build_plan(example_case("triple-negative-first-line"))
    scored = [o.rank for o in plan.systemic if o.mcbs]
    lines = mcbs_lines(plan)
    assert len(lines) == len({(o.mcbs.score, o.mcbs.source) for o in plan.systemic if o.mcbs})
    assert lines[0].startswith(f"rank {', '.join(map(str, scored))}: score 4 (non-curative scale")
    assert mcbs_lines(build_plan(example_case("her2-positive-brain"))) == []
