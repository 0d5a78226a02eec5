"""``simulate``: the patient-course simulator for one case in one call.

It draws ``patients`` copies of the case, optionally starts them all on one regimen, and follows
them for ``years`` under a policy (the decision engine by default); the plumbing of
:class:`~mbctwin.course.model.CourseModel` (cohorts, regimen registries, first-line id arrays)
stays inside.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mbctwin.case.models import Case
from mbctwin.course.cohort import from_case
from mbctwin.course.model import CourseModel
from mbctwin.course.params import CourseParams
from mbctwin.course.policy import Policy, parse_policy
from mbctwin.course.result import CourseResult
from mbctwin.course.state import RegimenRegistry
from mbctwin.knowledge.loader import KnowledgeBase, load_kb


def simulate(
    case: Case,
    first_line: str | Sequence[str] | None = None,
    *,
    patients: int = 10_000,
    years: float = 10.0,
    policy: Policy | str = "engine",
    seed: int | np.random.SeedSequence | None = 0,
    kb: KnowledgeBase | None = None,
    params: CourseParams | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CourseResult:
    """What is likely to happen to patients like ``case``: lines of therapy, sites, survival, QALYs.

    Parameters
    ----------
    case
        The patient (:func:`mbctwin.read_case`).
    first_line
        A regimen id of the knowledge base (``"letrozole_ribociclib"``) or drug names that every
        patient starts on; ``None`` lets the policy choose the first line too.
    patients, years
        Virtual patients like ``case``, and how long they are followed.
    policy
        ``"engine"`` (the decision engine chooses every later line), ``"none"``,
        ``"fixed:DRUG+DRUG;DRUG"``, or a :class:`~mbctwin.course.policy.Policy`.
    seed
        Same seed, same result, however the patients are chunked or scheduled.
    kb, params
        Knowledge base and course parameters (default: the packaged ones).
    scheduler
        ``None`` runs here; ``"dask"`` or ``"tcp://HOST:PORT"`` runs chunks on Dask workers.
    progress
        Called with (done, total) as blocks of patients finish.

    Returns
    -------
    CourseResult
        Per-patient and per-line tables, ``summary``, ``to_dict()``, ``save()`` and plots.

    Raises
    ------
    ValueError
        ``first_line`` names no regimen of the knowledge base and no known drugs, or ``policy``
        is not understood.

    Examples
    --------
    >>> from mbctwin import example_case, simulate
    >>> case = example_case("hr-positive-first-line")
    >>> result = simulate(case, first_line="letrozole_ribociclib", patients=200, years=2, seed=1)
    >>> result.to_dict()["first_line_regimens"]
    {'letrozole + ribociclib': 100.0}
    >>> bool(result.summary.loc["life_years_mean", "value"] <= 2)
    True
    """
    kb = kb or load_kb()
    chosen = parse_policy(policy, kb) if isinstance(policy, str) else policy
    model = CourseModel(params=params or CourseParams.from_file(), policy=chosen, kb=kb)
    registry = RegimenRegistry()
    first = None
    if first_line is not None:
        first = np.full(patients, registry.intern(regimen_drugs(first_line, kb)), dtype=np.int32)
    cohort = from_case(case, patients)
    return model.simulate(
        cohort, years=years, seed=seed, first_line=first, registry=registry, progress=progress, scheduler=scheduler
    )


def regimen_drugs(regimen: str | Sequence[str], kb: KnowledgeBase) -> tuple[str, ...]:
    """The drugs of a knowledge-base regimen id, or the given drug names checked against the vocabulary."""
    from mbctwin.case.vocabulary import vocabulary

    if isinstance(regimen, str) and regimen in kb.regimens:
        return tuple(kb.regimens[regimen].drugs)
    drugs = (regimen,) if isinstance(regimen, str) else tuple(regimen)
    unknown = [d for d in drugs if d not in vocabulary().drugs]
    if unknown or not drugs:
        raise ValueError(f"first_line: {unknown or regimen!r} is neither a regimen id of the knowledge base nor drugs")
    return drugs
