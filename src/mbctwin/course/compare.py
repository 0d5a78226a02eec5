"""Compare treatment strategies for the same virtual patients (common random numbers).

Every policy runs on the same cohort with the same seed, so differences come from the policy,
not from sampling noise between runs; the 95 % CI of a mean difference uses the paired
per-patient differences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from mbctwin.case.models import Case
from mbctwin.course.cohort import Cohort, from_case
from mbctwin.course.model import CourseModel
from mbctwin.course.params import CourseParams
from mbctwin.course.policy import Policy
from mbctwin.course.result import CourseResult
from mbctwin.knowledge.loader import KnowledgeBase, load_kb

Z95 = 1.959964


def strategy_courses(
    cohort: Cohort,
    strategies: Mapping[str, Policy],
    years: float,
    seed: int,
    params: CourseParams,
    kb: KnowledgeBase,
    scheduler: str | None = None,
    done: Callable[[int], None] | None = None,
) -> dict[str, CourseResult]:
    """Every strategy's course of the same cohort with the same seed (common random numbers, so the
    differences between strategies are the strategies'); ``done(k)`` after the k-th strategy."""
    results: dict[str, CourseResult] = {}
    for count, (name, policy) in enumerate(strategies.items(), start=1):
        model = CourseModel(params=params, policy=policy, kb=kb)
        results[name] = model.simulate(cohort, years=years, seed=seed, scheduler=scheduler)
        if done:
            done(count)
    return results


def _paired(difference: np.ndarray) -> dict[str, Any]:
    mean = float(difference.mean())
    half = Z95 * float(difference.std(ddof=1)) / np.sqrt(difference.size)
    return {"mean": round(mean, 3), "ci95": [round(mean - half, 3), round(mean + half, 3)]}


def compare_policies(
    case: Case,
    policies: dict[str, Policy],
    patients: int,
    years: float,
    seed: int,
    params: CourseParams | None = None,
    kb: KnowledgeBase | None = None,
) -> dict[str, Any]:
    """Summaries per policy and paired differences against the first policy."""
    kb = kb or load_kb()
    params = params or CourseParams.from_file()
    results = strategy_courses(from_case(case, patients), policies, years, seed, params, kb)
    names = list(results)
    reference = results[names[0]].patients
    differences = {}
    for name in names[1:]:
        other = results[name].patients
        differences[f"{name} - {names[0]}"] = {
            "life_years": _paired((other["life_years"] - reference["life_years"]).to_numpy()),
            "qalys": _paired((other["qalys"] - reference["qalys"]).to_numpy()),
        }
    return {
        "case_id": case.id,
        "patients": patients,
        "years": years,
        "seed": seed,
        "policies": {name: result.to_dict() for name, result in results.items()},
        "differences": differences,
    }
