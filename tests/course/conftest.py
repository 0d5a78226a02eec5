"""Fixtures of the course-simulator tests."""

from __future__ import annotations

import pytest

from mbctwin.course import policy, psa, state
from mbctwin.engine.plan import build_plan


@pytest.fixture
def planned_cases(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every case the simulator builds an engine plan for, as JSON, wherever it builds one."""
    planned: list[str] = []

    def counting(case, knowledge):
        planned.append(case.model_dump_json())
        return build_plan(case, knowledge)

    for module in (policy, psa, state):
        monkeypatch.setattr(module, "build_plan", counting)
    return planned
