"""The report (independent of HTTP), the body map and ``mbc report``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mbctwin.case.io import example_case, example_names
from mbctwin.cli import app
from mbctwin.engine.plan import build_plan
from mbctwin.report import body_map_svg, render_html, site_marks
from mbctwin.report.render import ChromiumMissing, html_to_pdf
from tests.web._browser import require_browser


@pytest.mark.parametrize("name", example_names())
def test_body_map_marks_every_site(name: str) -> None:
    case = example_case(name)
    svg = body_map_svg(case)
    sites = {m.site for m in case.metastases}
    assert set(re.findall(r'data-site="([a-z_]+)"', svg)) == sites
    assert svg.count("bm-symptomatic") == len({m.site for m in case.metastases if m.symptomatic})
    assert 'role="img"' in svg
    assert "aria-label=" in svg


def test_counts_add_up_per_site() -> None:
    case = example_case("hr-positive-first-line").model_copy(deep=True)
    data = case.model_dump(mode="json") | {
        "metastases": [
            {"site": "bone", "count": 2},
            {"site": "bone", "count": 3, "symptomatic": True},
            {"site": "liver"},
        ]
    }
    from mbctwin.case.io import parse_case

    marks = {m.site: m for m in site_marks(parse_case(data))}
    assert marks["bone"].count == 5
    assert marks["bone"].symptomatic
    assert marks["liver"].count is None  # absent = not counted, never assumed to be one
    assert "not counted" in marks["liver"].description
    assert not marks["liver"].symptomatic
    assert "symptomatic" in marks["bone"].description
    assert "not symptomatic" in marks["liver"].description


def test_report_has_every_part() -> None:
    case = example_case("frail-cord-compression")
    html = render_html(case, build_plan(case))
    for part in (
        "Case summary",
        "Systemic therapy options",
        "Not recommended",
        "Rationale",
        "Evidence",
        "For the patient",
        "Urgent",
        "<svg",
    ):
        assert part in html
    assert "pubmed.ncbi.nlm.nih.gov" in html
    assert "<link" not in html
    assert "<script" not in html
    assert "Outlook" not in html


def test_report_with_outlook_is_reproducible() -> None:
    from mbctwin.knowledge.loader import load_kb
    from mbctwin.report.outlook import simulate_outlook

    case = example_case("triple-negative-first-line")
    first = simulate_outlook(case, load_kb(), patients=500)
    assert first.svg == simulate_outlook(case, load_kb(), patients=500).svg
    assert 0 < first.summary["os_median_months"] < 120
    html = render_html(case, build_plan(case), outlook=first)
    assert "Outlook (simulated)" in html
    assert "outlook-chart" in html


def test_cli_html(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "her2-positive-brain", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert 'data-site="brain"' in out.read_text()
    assert "Outlook (simulated)" in out.read_text()


def test_cli_bad_case_and_suffix(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("age: 7\n")
    result = CliRunner().invoke(app, ["report", str(bad), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert not (tmp_path / "r.html").exists()
    result = CliRunner().invoke(app, ["report", "her2-positive-brain", "--out", str(tmp_path / "r.docx")])
    assert result.exit_code == 2


def test_pdf_needs_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(ChromiumMissing, match="apt-get install -y chromium"):
        html_to_pdf("<p>x</p>", tmp_path / "r.pdf")
    result = CliRunner().invoke(app, ["report", "her2-positive-brain", "--out", str(tmp_path / "r.pdf")])
    assert result.exit_code == 1


def test_cli_pdf(tmp_path: Path) -> None:
    if shutil.which("chromium") is None:
        require_browser()
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(app, ["report", "hr-positive-first-line", "--out", str(out), "--no-outlook"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_outlook_compares_the_next_ranked_options() -> None:
    from mbctwin.knowledge.loader import load_kb
    from mbctwin.report.outlook import ALTERNATIVES, simulate_outlook

    case = example_case("hr-positive-first-line")
    outlook = simulate_outlook(case, load_kb(), patients=400)
    expected = [o.regimen for o in build_plan(case, load_kb()).systemic[1 : 1 + ALTERNATIVES]]
    assert [a.regimen for a in outlook.alternatives] == expected
    assert all(a.life_years_mean > 0 for a in outlook.alternatives)
    assert outlook.svg.count("<polyline") == 2 + len(expected)
