"""Strategy comparison with common random numbers."""

from __future__ import annotations

from mbctwin.case.io import example_case
from mbctwin.course.compare import compare_policies
from mbctwin.course.policy import EnginePolicy, NoFurtherTherapy
from mbctwin.knowledge.loader import KnowledgeBase


def test_active_treatment_beats_supportive_care_with_a_confident_difference(kb: KnowledgeBase) -> None:
    report = compare_policies(
        example_case("triple-negative-first-line"),
        {"engine": EnginePolicy(kb), "none": NoFurtherTherapy()},
        patients=1500,
        years=6,
        seed=2,
        kb=kb,
    )
    difference = report["differences"]["none - engine"]["life_years"]
    assert difference["ci95"][1] < 0 < -difference["mean"]
    assert set(report["policies"]) == {"engine", "none"}


def test_a_policy_compared_with_itself_differs_by_exactly_zero(kb: KnowledgeBase) -> None:
    report = compare_policies(
        example_case("her2-positive-brain"),
        {"a": EnginePolicy(kb), "b": EnginePolicy(kb)},
        patients=800,
        years=5,
        seed=7,
        kb=kb,
    )
    assert report["differences"]["b - a"]["qalys"] == {"mean": 0.0, "ci95": [0.0, 0.0]}
