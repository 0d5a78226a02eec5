"""The public API and the result objects: one call per verb, typed results that read, save and plot
alike, and plots that leave the caller's matplotlib backend alone."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

import mbctwin
from mbctwin import CourseResult, example_case, simulate
from mbctwin.knowledge.loader import KnowledgeBase

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result(kb: KnowledgeBase) -> CourseResult:
    return simulate(example_case("her2-positive-brain"), patients=600, years=5, seed=1, kb=kb)


def test_every_exported_name_resolves() -> None:
    for name in mbctwin.__all__:
        assert getattr(mbctwin, name) is not None, name
    with pytest.raises(AttributeError):
        _ = mbctwin.no_such_verb


def test_simulate_starts_everyone_on_the_named_regimen(kb: KnowledgeBase) -> None:
    case = example_case("hr-positive-first-line")
    result = simulate(case, first_line="letrozole_ribociclib", patients=300, years=3, seed=2, kb=kb)
    assert result.to_dict()["first_line_regimens"] == {"letrozole + ribociclib": 100.0}
    same = simulate(case, first_line=["letrozole", "ribociclib"], patients=300, years=3, seed=2, kb=kb)
    assert same.to_dict() == result.to_dict()
    with pytest.raises(ValueError, match="first_line"):
        simulate(case, first_line="letrozole_aspirinx", patients=10, kb=kb)


def test_summary_to_dict_and_outcomes_share_one_definition(result: CourseResult) -> None:
    outcomes = result.outcomes()
    figures = result.to_dict()
    assert list(result.summary.index) == list(outcomes)
    assert round(outcomes["qalys_mean"], 3) == figures["qalys_mean"]
    assert round(outcomes["alive_2y_percent"], 1) == figures["alive_percent"]["2y"]
    median = outcomes["os_median_months"]
    assert figures["os_median_months"] == (None if math.isnan(median) else round(median, 1))


def test_save_writes_json_tables_and_real_pngs(result: CourseResult, tmp_path: Path) -> None:
    paths = result.save(tmp_path / "run")
    names = [p.name for p in paths]
    assert names == [
        "summary.json",
        "patients.parquet",
        "lines.parquet",
        "events.parquet",
        "survival.png",
        "swimmer.png",
        "sites.png",
    ]
    assert json.loads(paths[0].read_text()) == json.loads(json.dumps(result.to_dict()))
    assert pd.read_parquet(paths[2]).equals(result.lines)
    for path in paths[4:]:
        assert path.read_bytes().startswith(PNG_SIGNATURE)
        assert path.stat().st_size > 10_000


def test_plots_leave_the_backend_alone(result: CourseResult, tmp_path: Path) -> None:
    """A notebook's backend must survive a library plot: nothing in mbctwin calls ``matplotlib.use``."""
    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        ax = result.plot_survival()
        assert ax.figure.axes == [ax]
        result.plot_sites(ax=ax)  # draws on the caller's Axes
        result.save(tmp_path, plots=True)
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)


def test_result_plots_do_not_need_pyplot(tmp_path: Path) -> None:
    """Figures belong to no pyplot backend: drawing and saving one never imports pyplot."""
    code = (
        "import sys; from mbctwin.results import new_axes; ax = new_axes(); ax.plot([0, 1]);"
        "ax.figure.savefig(sys.argv[1]); assert 'matplotlib.pyplot' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "line.png")], check=True)
    assert (tmp_path / "line.png").read_bytes().startswith(PNG_SIGNATURE)
