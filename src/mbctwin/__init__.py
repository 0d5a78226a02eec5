"""mbctwin: decision support and simulation for metastatic breast cancer.

Decision support for clinicians; never a substitute for a multidisciplinary tumour board.

The verbs and result types a user needs are importable from here::

    from mbctwin import read_case, build_plan, simulate, run_trial, run_psa, CascadeModel

Each name is imported on first use (PEP 562), so ``import mbctwin`` is instant and planning a case
never loads the simulators (pandas, lifelines, matplotlib).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from mbctwin._version import __version__

if TYPE_CHECKING:
    from mbctwin.cascade.config import CascadeConfig
    from mbctwin.cascade.model import CascadeModel, CascadeResult
    from mbctwin.case.io import example_case, read_case
    from mbctwin.case.models import Case
    from mbctwin.course.populations import CohortRun, run_cohort
    from mbctwin.course.psa import PsaResult, Uncertainty, run_psa
    from mbctwin.course.result import CourseResult
    from mbctwin.course.simulation import simulate
    from mbctwin.course.trial import TrialReport, TrialSpec, run_trial
    from mbctwin.engine.contract import Plan
    from mbctwin.engine.plan import build_plan
    from mbctwin.errors import CaseError, KnowledgeError, MbctwinError
    from mbctwin.knowledge.loader import load_kb

_LAZY = {
    "CascadeConfig": "mbctwin.cascade.config",
    "CascadeModel": "mbctwin.cascade.model",
    "CascadeResult": "mbctwin.cascade.model",
    "Case": "mbctwin.case.models",
    "CaseError": "mbctwin.errors",
    "CohortRun": "mbctwin.course.populations",
    "CourseResult": "mbctwin.course.result",
    "KnowledgeError": "mbctwin.errors",
    "MbctwinError": "mbctwin.errors",
    "Plan": "mbctwin.engine.contract",
    "PsaResult": "mbctwin.course.psa",
    "TrialReport": "mbctwin.course.trial",
    "TrialSpec": "mbctwin.course.trial",
    "build_plan": "mbctwin.engine.plan",
    "example_case": "mbctwin.case.io",
    "load_kb": "mbctwin.knowledge.loader",
    "read_case": "mbctwin.case.io",
    "Uncertainty": "mbctwin.course.psa",
    "run_cohort": "mbctwin.course.populations",
    "run_psa": "mbctwin.course.psa",
    "run_trial": "mbctwin.course.trial",
    "simulate": "mbctwin.course.simulation",
}

__all__ = [
    "CascadeConfig",
    "CascadeModel",
    "CascadeResult",
    "Case",
    "CaseError",
    "CohortRun",
    "CourseResult",
    "KnowledgeError",
    "MbctwinError",
    "Plan",
    "PsaResult",
    "TrialReport",
    "TrialSpec",
    "Uncertainty",
    "__version__",
    "build_plan",
    "example_case",
    "load_kb",
    "read_case",
    "run_cohort",
    "run_psa",
    "run_trial",
    "simulate",
]


def __getattr__(name: str) -> Any:
    """Import a simulator's verb or type when it is first asked for (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'mbctwin' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
