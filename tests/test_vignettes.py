"""Clinical vignettes: the shared scorer (when ../shared exists) and the project's own set.

The project's own vignettes are YAML files holding ``title``, ``source`` (the guideline, label or
trial passages that justify the expectation), ``case`` (the case contract) and ``expect``. They live
in ``tests/data/vignettes/``; those in ``tests/data/vignettes/pending/`` were written from the
guidelines ahead of the engine work that makes them pass (issue 16) and are skipped until the
engine colleague moves each one up. ``MBCTWIN_RUN_PENDING=1`` runs them instead of skipping.

Keys of ``expect`` (every key is optional; an unknown key fails the file, so that a misspelt
expectation can never pass silently):

Keys of the shared scorer (``../shared/vignettes/score.py``), same meaning:
  subtype, line                   exact match with the plan's field
  first_choice: [matcher]         the rank-1 systemic option matches one of them
  top3: [matcher]                 one of the first three systemic options matches one of them
  urgent_all: [code]              every code is in ``plan.urgent``
  local_any: [{modality, site}]   one ``plan.local`` entry matches one of them
  supportive_classes_all: [class] each class appears in ``plan.supportive``
  systemic_empty: true            no systemic option
  forbidden_drugs / forbidden_classes: [name]   absent from every systemic option
A matcher is ``{drugs_all, classes_all, drugs_none, classes_none}``; class names may be vocabulary
classes or the groups chemotherapy / endocrine / anti_her2.

Keys of this project (issue 16):
  error_fields: [field]           the case is rejected (``CaseError``) and a problem names each
                                  field (exactly, or a field inside it: ``prior_therapies`` is named
                                  by ``prior_therapies.0.setting``); no other key may be given
  systemic_any: [matcher]         some systemic option matches one of them
  urgent_none: [code]             no such code in ``plan.urgent``
  supportive_classes_none: [class] / supportive_drugs_none: [drug]   absent from ``plan.supportive``
  not_recommended_drugs_all: [drug]   each drug is in a ``plan.not_recommended`` entry
  dosing_present: true            every systemic option has a ``dosing`` entry for each of its drugs,
                                  with a dose and a schedule
  dosing_adjusted: [{drug, lab}]  the plan acts on the lab for the drug (contract §2: "shows the
                                  adjusted dose or leaves the drug out with the lab and value"):
                                  either the drug is in systemic options and each of their dosing
                                  entries for it has an ``adjustment`` naming the lab and its value,
                                  or it is in no option and a ``not_recommended`` entry holding it
                                  names the lab and its value. ``lab`` is a ``case.labs`` field;
                                  ``if_offered: true`` lets the drug be simply absent (a drug the
                                  guidelines do not require among the options)
  assumptions_nonempty / warnings_nonempty: true   ``plan.assumptions`` / ``plan.warnings`` not empty
  evidence_source_any: [source id]    the rank-1 option cites one of these knowledge-base sources
  evidence_extrapolated: true     the rank-1 option says its evidence is extrapolated (an evidence
                                  entry with a non-empty ``extrapolated_from``: the population it
                                  comes from)
  option_evidence: [{matcher keys..., sources_any: [id]} | {matcher keys..., extrapolated: true}]
                                  at least one systemic option matches the matcher, and every
                                  option that matches cites one of the sources / is extrapolated
  explanation_excludes: [text]    none of these appears in ``plan.explanation`` (case-insensitive)
  same_family: [[drug]]           options whose drugs are exactly each list all exist and share
                                  one ``family``
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mbctwin.case.io import parse_case
from mbctwin.case.vocabulary import vocabulary
from mbctwin.engine.plan import build_plan
from mbctwin.errors import CaseError
from tests.conftest import DATA

VIGNETTES = DATA / "vignettes"
OWN = sorted(VIGNETTES.glob("*.yaml"))
PENDING = sorted((VIGNETTES / "pending").glob("*.yaml"))
PENDING_REASON = "pending engine work (issue 16)"
RUN_PENDING = os.environ.get("MBCTWIN_RUN_PENDING") == "1"

Plan = dict[str, Any]
Shortfalls = list[str]

# The words by which a dosing adjustment or an exclusion names a lab (contract §2: "naming the lab
# and its value", e.g. "bilirubin 3.2 x ULN: 50 % dose").
LAB_WORDS: dict[str, tuple[str, ...]] = {
    "bilirubin_x_uln": ("bilirubin",),
    "alt_x_uln": ("alt", "transaminase"),
    "creatinine_clearance_ml_min": ("creatinine clearance", "crcl"),
    "lvef_percent": ("lvef", "ejection fraction"),
    "neutrophils_10e9_l": ("neutrophil", "anc"),
    "hba1c_percent": ("hba1c",),
}
MATCHER_KEYS = frozenset({"drugs_all", "classes_all", "drugs_none", "classes_none"})


def _classes(option: dict[str, Any]) -> set[str]:
    return vocabulary().classes_of(option.get("drugs", [])) | set(option.get("classes", []))


def _matches(option: dict[str, Any], matcher: dict[str, Any]) -> bool:
    drugs, classes = set(option.get("drugs", [])), _classes(option)
    return (
        set(matcher.get("drugs_all", [])) <= drugs
        and set(matcher.get("classes_all", [])) <= classes
        and not set(matcher.get("drugs_none", [])) & drugs
        and not set(matcher.get("classes_none", [])) & classes
    )


def _systemic(plan: Plan) -> list[dict[str, Any]]:
    return sorted(plan["systemic"], key=lambda option: option["rank"])


def _first(plan: Plan) -> dict[str, Any] | None:
    systemic = _systemic(plan)
    return systemic[0] if systemic else None


def _drugs_of(options: list[dict[str, Any]]) -> list[list[str]]:
    return [option["drugs"] for option in options]


# ---------------------------------------------------------------- checks, one per expect key


def _equal(field: str) -> Callable[[Plan, Any, dict[str, Any]], Shortfalls]:
    def check(plan: Plan, expected: Any, case: dict[str, Any]) -> Shortfalls:
        return [] if plan[field] == expected else [f"{field}: expected {expected!r}, got {plan[field]!r}"]

    return check


def _first_choice(plan: Plan, matchers: list[dict[str, Any]], case: dict[str, Any]) -> Shortfalls:
    first = _first(plan)
    if first is not None and any(_matches(first, m) for m in matchers):
        return []
    return [f"first choice {first and first['drugs']} matches none of {matchers}"]


def _top3(plan: Plan, matchers: list[dict[str, Any]], case: dict[str, Any]) -> Shortfalls:
    top = _systemic(plan)[:3]
    if any(_matches(o, m) for o in top for m in matchers):
        return []
    return [f"no top-3 option ({_drugs_of(top)}) matches {matchers}"]


def _systemic_any(plan: Plan, matchers: list[dict[str, Any]], case: dict[str, Any]) -> Shortfalls:
    if any(_matches(o, m) for o in plan["systemic"] for m in matchers):
        return []
    return [f"no systemic option ({_drugs_of(plan['systemic'])}) matches {matchers}"]


def _systemic_empty(plan: Plan, expected: bool, case: dict[str, Any]) -> Shortfalls:
    if not expected or not plan["systemic"]:
        return []
    return [f"expected no systemic option, got {_drugs_of(plan['systemic'])}"]


def _urgent_all(plan: Plan, codes: list[str], case: dict[str, Any]) -> Shortfalls:
    present = {u["code"] for u in plan["urgent"]}
    return [f"urgent flag missing: {code}" for code in codes if code not in present]


def _urgent_none(plan: Plan, codes: list[str], case: dict[str, Any]) -> Shortfalls:
    present = {u["code"] for u in plan["urgent"]}
    return [f"unexpected urgent flag: {code}" for code in codes if code in present]


def _local_any(plan: Plan, wanted: list[dict[str, str]], case: dict[str, Any]) -> Shortfalls:
    if any(all(entry.get(k) == v for k, v in m.items()) for entry in plan["local"] for m in wanted):
        return []
    found = [(entry["modality"], entry["site"]) for entry in plan["local"]]
    return [f"no local treatment matches {wanted} (plan has {found})"]


def _supportive_classes(plan: Plan) -> set[str]:
    return set().union(*(_classes(entry) for entry in plan["supportive"]))


def _supportive_classes_all(plan: Plan, classes: list[str], case: dict[str, Any]) -> Shortfalls:
    present = _supportive_classes(plan)
    return [f"supportive class missing: {c}" for c in classes if c not in present]


def _supportive_classes_none(plan: Plan, classes: list[str], case: dict[str, Any]) -> Shortfalls:
    present = _supportive_classes(plan)
    return [f"unexpected supportive class: {c}" for c in classes if c in present]


def _supportive_drugs_none(plan: Plan, drugs: list[str], case: dict[str, Any]) -> Shortfalls:
    present = {d for entry in plan["supportive"] for d in entry.get("drugs", [])}
    return [f"UNSAFE: supportive care holds {d}" for d in drugs if d in present]


def _forbidden_drugs(plan: Plan, drugs: list[str], case: dict[str, Any]) -> Shortfalls:
    return [
        f"UNSAFE: option {o['drugs']} holds forbidden {sorted(set(o['drugs']) & set(drugs))}"
        for o in plan["systemic"]
        if set(o["drugs"]) & set(drugs)
    ]


def _forbidden_classes(plan: Plan, classes: list[str], case: dict[str, Any]) -> Shortfalls:
    return [
        f"UNSAFE: option {o['drugs']} holds forbidden {sorted(_classes(o) & set(classes))}"
        for o in plan["systemic"]
        if _classes(o) & set(classes)
    ]


def _not_recommended_drugs_all(plan: Plan, drugs: list[str], case: dict[str, Any]) -> Shortfalls:
    listed = {d for entry in plan["not_recommended"] for d in entry["drugs"]}
    return [f"{d} is not in not_recommended" for d in drugs if d not in listed]


def _dosing_present(plan: Plan, expected: bool, case: dict[str, Any]) -> Shortfalls:
    short = []
    for option in plan["systemic"] if expected else []:
        dosed = {entry["drug"]: entry for entry in option.get("dosing", [])}
        for drug in option["drugs"]:
            entry = dosed.get(drug)
            if not entry or not entry.get("dose") or not entry.get("schedule"):
                short.append(f"option {option['drugs']}: no dose and schedule for {drug}")
    return short


def _names_lab(text: str | None, lab: str, value: float) -> bool:
    """The text names the lab (one of its words) and its value as the case gave it."""
    lowered = (text or "").lower()
    return any(word in lowered for word in LAB_WORDS[lab]) and f"{value:g}" in lowered


def _dosing_adjusted(plan: Plan, wanted: list[dict[str, Any]], case: dict[str, Any]) -> Shortfalls:
    short = []
    for item in wanted:
        drug, lab = item["drug"], item["lab"]
        value = case["labs"][lab]
        holding = [o for o in plan["systemic"] if drug in o["drugs"]]
        if holding:
            for option in holding:
                adjustments = [e.get("adjustment") for e in option.get("dosing", []) if e["drug"] == drug]
                if not any(_names_lab(a, lab, value) for a in adjustments):
                    short.append(f"option {option['drugs']}: {drug} dosing {adjustments} does not name {lab} {value:g}")
        elif item.get("if_offered"):
            continue
        elif not any(drug in e["drugs"] and _names_lab(e["why"], lab, value) for e in plan["not_recommended"]):
            short.append(f"{drug}: neither dose-adjusted nor left out naming {lab} {value:g}")
    return short


def _nonempty(field: str) -> Callable[[Plan, bool, dict[str, Any]], Shortfalls]:
    def check(plan: Plan, expected: bool, case: dict[str, Any]) -> Shortfalls:
        return [f"plan.{field} is empty"] if expected and not plan.get(field) else []

    return check


def _cites(option: dict[str, Any], sources: list[str]) -> bool:
    return any(e.get("source_id") in sources for e in option["evidence"])


def _extrapolated(option: dict[str, Any]) -> bool:
    return any(e.get("extrapolated_from") for e in option["evidence"])


def _evidence_source_any(plan: Plan, sources: list[str], case: dict[str, Any]) -> Shortfalls:
    first = _first(plan)
    if first is not None and _cites(first, sources):
        return []
    cited = first and [e.get("source_id") for e in first["evidence"]]
    return [f"first choice {first and first['drugs']} cites {cited}, none of {sources}"]


def _evidence_extrapolated(plan: Plan, expected: bool, case: dict[str, Any]) -> Shortfalls:
    first = _first(plan)
    if not expected or (first is not None and _extrapolated(first)):
        return []
    return [f"first choice {first and first['drugs']} does not say its evidence is extrapolated"]


def _option_evidence(plan: Plan, wanted: list[dict[str, Any]], case: dict[str, Any]) -> Shortfalls:
    short = []
    for item in wanted:
        matcher = {k: v for k, v in item.items() if k in MATCHER_KEYS}
        options = [o for o in plan["systemic"] if _matches(o, matcher)]
        if not options:
            short.append(f"no systemic option matches {matcher}")
        for option in options:
            if "sources_any" in item and not _cites(option, item["sources_any"]):
                cited = [e.get("source_id") for e in option["evidence"]]
                short.append(f"option {option['drugs']} cites {cited}, none of {item['sources_any']}")
            if item.get("extrapolated") and not _extrapolated(option):
                short.append(f"option {option['drugs']} does not say its evidence is extrapolated")
    return short


def _explanation_excludes(plan: Plan, texts: list[str], case: dict[str, Any]) -> Shortfalls:
    explanation = plan["explanation"].lower()
    return [f"explanation contains {t!r}" for t in texts if t.lower() in explanation]


def _same_family(plan: Plan, groups: list[list[str]], case: dict[str, Any]) -> Shortfalls:
    by_drugs = {frozenset(o["drugs"]): o for o in plan["systemic"]}
    missing = [g for g in groups if frozenset(g) not in by_drugs]
    if missing:
        return [f"no systemic option with exactly the drugs {g}" for g in missing]
    families = {by_drugs[frozenset(g)].get("family") for g in groups}
    return [] if len(families) == 1 and None not in families else [f"options {groups} have families {families}"]


CHECKS: dict[str, Callable[[Plan, Any, dict[str, Any]], Shortfalls]] = {
    "subtype": _equal("subtype"),
    "line": _equal("line"),
    "first_choice": _first_choice,
    "top3": _top3,
    "systemic_any": _systemic_any,
    "systemic_empty": _systemic_empty,
    "urgent_all": _urgent_all,
    "urgent_none": _urgent_none,
    "local_any": _local_any,
    "supportive_classes_all": _supportive_classes_all,
    "supportive_classes_none": _supportive_classes_none,
    "supportive_drugs_none": _supportive_drugs_none,
    "forbidden_drugs": _forbidden_drugs,
    "forbidden_classes": _forbidden_classes,
    "not_recommended_drugs_all": _not_recommended_drugs_all,
    "dosing_present": _dosing_present,
    "dosing_adjusted": _dosing_adjusted,
    "assumptions_nonempty": _nonempty("assumptions"),
    "warnings_nonempty": _nonempty("warnings"),
    "evidence_source_any": _evidence_source_any,
    "evidence_extrapolated": _evidence_extrapolated,
    "option_evidence": _option_evidence,
    "explanation_excludes": _explanation_excludes,
    "same_family": _same_family,
}
KNOWN_KEYS = frozenset(CHECKS) | {"error_fields"}


def _error_shortfalls(case: dict[str, Any], fields: list[str]) -> Shortfalls:
    """The case must be refused, and each expected field named by some problem."""
    try:
        parse_case(case)
    except CaseError as error:
        named = [p.field for p in error.problems]
        return [
            f"error does not name {f} (problems: {[str(p) for p in error.problems]})"
            for f in fields
            if not any(n == f or n.startswith(f + ".") for n in named)
        ]
    return [f"the case was accepted; expected an error naming {fields}"]


def shortfalls(vignette: dict[str, Any]) -> Shortfalls:
    """Everything in which the engine's answer to the vignette falls short of its expectations."""
    case, expect = vignette["case"], vignette["expect"]
    if "error_fields" in expect:
        return _error_shortfalls(case, expect["error_fields"])
    plan = build_plan(parse_case(case)).model_dump(mode="json")
    return [s for key, value in expect.items() for s in CHECKS[key](plan, value, case)]


# ---------------------------------------------------------------- well-formed expectations


def _matchers_in(expect: dict[str, Any]) -> list[dict[str, Any]]:
    found = [m for key in ("first_choice", "top3", "systemic_any") for m in expect.get(key, [])]
    return found + expect.get("option_evidence", [])


def _names_in(expect: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Drug names and class names the expectation uses, to check them against the vocabulary."""
    drugs = set(expect.get("forbidden_drugs", [])) | set(expect.get("not_recommended_drugs_all", []))
    drugs |= set(expect.get("supportive_drugs_none", [])) | {d["drug"] for d in expect.get("dosing_adjusted", [])}
    drugs |= {d for group in expect.get("same_family", []) for d in group}
    classes = set(expect.get("forbidden_classes", []))
    for key in ("supportive_classes_all", "supportive_classes_none"):
        classes |= set(expect.get(key, []))
    for matcher in _matchers_in(expect):
        drugs |= set(matcher.get("drugs_all", [])) | set(matcher.get("drugs_none", []))
        classes |= set(matcher.get("classes_all", [])) | set(matcher.get("classes_none", []))
    return drugs, classes


def expectation_problems(vignette: dict[str, Any]) -> list[str]:
    """Unknown keys, unknown drug/class/lab names and ill-formed matchers in a vignette file."""
    if set(vignette) != {"title", "source", "case", "expect"}:
        return [f"top-level keys {sorted(vignette)}, expected title, source, case, expect"]
    expect = vignette["expect"]
    problems = [f"unknown expect key {k!r}" for k in expect if k not in KNOWN_KEYS]
    if "error_fields" in expect and len(expect) > 1:
        problems.append("error_fields stands alone: a refused case has no plan to check")
    vocab = vocabulary()
    drugs, classes = _names_in(expect)
    problems += [f"unknown drug {d!r}" for d in sorted(drugs - set(vocab.drugs))]
    known_classes = set(vocab.classes) | set(vocab.groups) | set(vocab.supportive_classes)
    problems += [f"unknown class {c!r}" for c in sorted(classes - known_classes)]
    for matcher in _matchers_in(expect):
        extra = set(matcher) - MATCHER_KEYS - {"sources_any", "extrapolated"}
        problems += [f"unknown matcher key {k!r}" for k in sorted(extra)]
    for item in expect.get("dosing_adjusted", []):
        problems += [f"unknown dosing_adjusted key {k!r}" for k in sorted(set(item) - {"drug", "lab", "if_offered"})]
        problems += [f"unknown lab {item['lab']!r}"] if item["lab"] not in LAB_WORDS else []
    return problems


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


# ---------------------------------------------------------------- the tests


def test_shared_vignettes_pass_the_shared_scorer(shared_dir: Path) -> None:
    mbc = Path(sys.executable).with_name("mbc")
    runner = str(mbc) if mbc.exists() else f"{sys.executable} -m mbctwin"
    command = f"{runner} plan {{case}} --format json"
    result = subprocess.run(
        [sys.executable, str(shared_dir / "vignettes" / "score.py"), "--cmd", command, str(shared_dir / "vignettes")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", OWN + PENDING, ids=[p.relative_to(VIGNETTES).as_posix() for p in OWN + PENDING])
def test_vignette_expectations_are_well_formed(path: Path) -> None:
    assert expectation_problems(_load(path)) == []


@pytest.mark.parametrize("path", OWN + PENDING, ids=[p.relative_to(VIGNETTES).as_posix() for p in OWN + PENDING])
def test_vignette_case_is_valid_unless_an_error_is_expected(path: Path) -> None:
    """Pending or not, a vignette's case must follow the contract: a typo in it would test nothing."""
    vignette = _load(path)
    if "error_fields" not in vignette["expect"]:
        parse_case(vignette["case"])


@pytest.mark.parametrize("path", OWN, ids=[p.stem for p in OWN])
def test_own_vignettes(path: Path) -> None:
    assert shortfalls(_load(path)) == []


@pytest.mark.parametrize("path", PENDING, ids=[p.stem for p in PENDING])
def test_pending_vignettes(path: Path) -> None:
    if not RUN_PENDING:
        pytest.skip(PENDING_REASON)
    assert shortfalls(_load(path)) == []


def test_unknown_expect_key_is_refused() -> None:
    vignette = _load(OWN[0])
    vignette["expect"] = {**vignette["expect"], "first_choise": []}
    assert expectation_problems(vignette) == ["unknown expect key 'first_choise'"]


def test_unknown_drug_in_a_matcher_is_refused() -> None:
    vignette = _load(OWN[0])
    vignette["expect"] = {"first_choice": [{"drugs_all": ["letrozol"]}]}
    assert expectation_problems(vignette) == ["unknown drug 'letrozol'"]


def _plan_with(option: dict[str, Any], not_recommended: list[dict[str, Any]] | None = None) -> Plan:
    return {"systemic": [{"rank": 1, **option}], "not_recommended": not_recommended or []}


def test_dosing_adjusted_needs_the_lab_and_its_value() -> None:
    case = {"labs": {"bilirubin_x_uln": 3.2}}
    wanted = [{"drug": "paclitaxel", "lab": "bilirubin_x_uln"}]
    dose = {"drug": "paclitaxel", "adjustment": "Bilirubin 3.2 x ULN: 90 mg/m2"}
    adjusted = {"drugs": ["paclitaxel"], "dosing": [dose]}
    unadjusted = {"drugs": ["paclitaxel"], "dosing": [{"drug": "paclitaxel", "adjustment": None}]}
    left_out = _plan_with({"drugs": ["capecitabine"]}, [{"drugs": ["paclitaxel"], "why": "bilirubin 3.2 x ULN"}])
    assert _dosing_adjusted(_plan_with(adjusted), wanted, case) == []
    assert _dosing_adjusted(left_out, wanted, case) == []
    assert _dosing_adjusted(_plan_with(unadjusted), wanted, case)
    assert _dosing_adjusted(_plan_with({"drugs": ["capecitabine"]}), wanted, case)
    assert _dosing_adjusted(_plan_with({"drugs": ["capecitabine"]}), [{**wanted[0], "if_offered": True}], case) == []


def test_error_fields_are_named_exactly_or_from_inside() -> None:
    case = {**_load(OWN[0])["case"], "ecog": 7}
    assert _error_shortfalls(case, ["ecog"]) == []
    assert _error_shortfalls(case, ["age"])
    assert _error_shortfalls(_load(OWN[0])["case"], ["ecog"]) == [
        "the case was accepted; expected an error naming ['ecog']"
    ]
