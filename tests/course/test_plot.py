"""Plots are written as real PNG images."""

from __future__ import annotations

from pathlib import Path

from mbctwin.case.io import example_case
from mbctwin.course.cohort import from_case
from mbctwin.course.model import CourseModel
from mbctwin.course.plot import save_plots
from mbctwin.knowledge.loader import KnowledgeBase

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_survival_swimmer_and_site_plots_are_png(tmp_path: Path, kb: KnowledgeBase) -> None:
    result = CourseModel(kb=kb).simulate(from_case(example_case("her2-positive-brain"), 600), years=5, seed=1)
    paths = save_plots(result, tmp_path)
    assert [p.name for p in paths] == ["survival.png", "swimmer.png", "sites.png"]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 10_000
