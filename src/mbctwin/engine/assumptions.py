"""Facts the case lacks, and what the plan assumed instead (contract §2 ``assumptions``).

Each assumption is chosen so that the options stay safe whichever way the missing fact falls; the
sentence says both what is missing and what was done about it.
"""

from __future__ import annotations

from typing import Any

from mbctwin.case.derived import Derived, metastatic_lines, ongoing_line, short_first_line_cdk46, unknown_relapse_timing
from mbctwin.case.models import Case
from mbctwin.case.vocabulary import vocabulary


def assumptions(case: Case, derived: Derived, facts: dict[str, Any]) -> list[str]:
    found = [
        *_relapse_timing(case),
        *_lesion_counts(case),
        *_line_durations(case),
        *_tests(case, derived, facts),
        *_labs(case),
    ]
    return list(dict.fromkeys(found))


def _relapse_timing(case: Case) -> list[str]:
    unknown = unknown_relapse_timing(case)
    if not unknown:
        return []
    drugs = ", ".join(dict.fromkeys(d.replace("_", " ") for entry in unknown for d in entry.drugs))
    return [
        "The disease-free interval is not given: the (neo)adjuvant drugs ("
        f"{drugs}) are treated as if the cancer came back within 12 months of them, so every option also "
        "suits an early relapse; endocrine sensitivity was judged without that interval"
    ]


def _lesion_counts(case: Case) -> list[str]:
    uncounted = sorted({m.site.replace("_", " ") for m in case.metastases if m.count is None})
    if not uncounted:
        return []
    said = [f"Lesion counts are not given ({', '.join(uncounted)}): the disease is not treated as oligometastatic"]
    if any(m.site == "brain" and m.count is None for m in case.metastases):
        said.append(
            "The number of brain metastases is not given: count them on MRI before choosing radiosurgery"
            " (1-4 lesions) or whole-brain radiotherapy"
        )
    return said


def _line_durations(case: Case) -> list[str]:
    said = []
    if short_first_line_cdk46(case) is None:
        said.append(
            "How long the first-line endocrine therapy + CDK4/6 inhibitor worked is not given: a chemotherapy"
            " option is included, but it is not moved first for a short response"
        )
    current = ongoing_line(case)
    if (
        current is not None
        and "chemotherapy" in vocabulary().classes_of(current.drugs)
        and current.best_response is None
    ):
        said.append(
            "The response to the ongoing chemotherapy is not given: induction is taken as not finished"
            " (continue); record the response to plan maintenance"
        )
    untimed = [p for p in metastatic_lines(case) if p.ended_because == "progression" and p.months_on_treatment is None]
    if untimed and case.tumor.er != "negative":
        said.append("Months on a previous metastatic line are not given: endocrine resistance was judged without them")
    return said


def _tests(case: Case, derived: Derived, facts: dict[str, Any]) -> list[str]:
    said = []
    if derived.her2_category == "unknown":
        said.append("HER2 status is unknown: only options that do not depend on HER2 are offered until it is tested")
    if facts["managed_as_triple_negative"] and case.biomarkers.pd_l1_cps is None and derived.line == 1:
        said.append("PD-L1 (CPS) is not tested: no checkpoint inhibitor until a CPS of 10 or more is shown")
    if "unknown" in (case.tumor.er, case.tumor.pr):
        said.append("A hormone-receptor result is unknown: the plan uses the result that is known")
    return said


def _labs(case: Case) -> list[str]:
    if all(value is None for value in case.labs.model_dump().values()):
        return [
            "No laboratory values are given: starting doses assume normal blood counts, liver and kidney"
            " function and heart function; check them before treatment"
        ]
    return []
