"""The case form: field layout grouped as a clinician thinks, form data -> case mapping, errors -> fields.

Input names are the dotted locations that :class:`mbctwin.errors.CaseError` uses
(``tumor.her2_ihc``, ``metastases.0.count``), so a problem lands next to its input unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from mbctwin.case.models import FINDINGS, SITES
from mbctwin.errors import FieldProblem
from mbctwin.report.bodymap import SITE_LABELS

KNOWN_COMORBIDITIES = (
    "interstitial_lung_disease",
    "active_autoimmune_disease",
    "heart_failure",
    "anthracycline_cardiomyopathy",
    "coronary_artery_disease",
    "diabetes",
    "type_2_diabetes_on_insulin",
    "chronic_kidney_disease",
    "copd",
    "peripheral_neuropathy",
    "hypertension",
    "dementia",
    "falls",
    "obesity",
)
NOT_TESTED = ("", "not tested")


def _choices(*values: str) -> tuple[tuple[str, str], ...]:
    return tuple((v, v.replace("_", " ")) for v in values)


@dataclass(frozen=True)
class Field:
    """One input: ``kind`` is number, text, select, check (a boolean) or tri (unknown / yes / no)."""

    name: str
    label: str
    kind: str = "number"
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""
    attrs: dict[str, str] = field(default_factory=dict)
    numeric: bool = False  # the case model takes a number here: the form converts its text (contract §3)

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")


def _num(name: str, label: str, lo: float, hi: float, step: str = "any", hint: str = "") -> Field:
    return Field(
        name, label, "number", hint=hint, attrs={"min": f"{lo:g}", "max": f"{hi:g}", "step": step}, numeric=True
    )


def _mutation(name: str, label: str) -> Field:
    return Field(name, label, "select", (NOT_TESTED, ("mutated", "mutated"), ("wild_type", "wild type")))


RECEPTOR = _choices("positive", "negative", "unknown")
GROUPS: tuple[tuple[str, str, tuple[Field, ...]], ...] = (
    (
        "patient",
        "Patient",
        (
            Field("id", "Case label", "text", hint="optional; generated from the content when empty"),
            _num("age", "Age (years)", 18, 110, "1"),
            Field("sex", "Sex", "select", (("", "choose…"), *_choices("female", "male"))),
            Field(
                "menopausal_status",
                "Menopausal status",
                "select",
                (("", "\u2013 (men)"), *_choices("pre", "peri", "post")),
                hint="required for women",
            ),
            Field(
                "ecog",
                "ECOG performance status",
                "select",
                (("", "choose…"), *_choices("0", "1", "2", "3", "4")),
                numeric=True,
            ),
            Field(
                "presentation",
                "Presentation",
                "select",
                (("", "choose…"), ("de_novo", "de novo"), ("recurrent", "recurrent")),
            ),
            _num(
                "disease_free_interval_months",
                "Disease-free interval (months)",
                0,
                1200,
                hint="recurrent only: end of (neo)adjuvant therapy → metastasis",
            ),
            _num("months_from_primary_diagnosis", "Months from primary diagnosis", 0, 1200),
        ),
    ),
    (
        "tumor",
        "Tumour biology",
        (
            Field("tumor.er", "ER", "select", (("", "choose…"), *RECEPTOR)),
            _num("tumor.er_percent", "ER (% cells)", 0, 100, hint="1\u201310 % is ER-low"),
            Field("tumor.pr", "PR", "select", (("", "choose…"), *RECEPTOR)),
            Field(
                "tumor.her2_ihc",
                "HER2 IHC",
                "select",
                (("", "choose…"), *_choices("0", "ultralow", "1+", "2+", "3+", "unknown")),
            ),
            Field("tumor.her2_ish", "HER2 ISH", "select", _choices("not_done", "amplified", "not_amplified")),
            Field("tumor.grade", "Grade", "select", (("", "\u2013"), *_choices("1", "2", "3")), numeric=True),
            _num("tumor.ki67_percent", "Ki-67 (%)", 0, 100),
            Field("tumor.histology", "Histology", "select", (("", "\u2013"), *_choices("ductal", "lobular", "other"))),
        ),
    ),
    (
        "symptoms",
        "Symptoms",
        (
            _num("symptoms.pain_score", "Pain score (0\u201310)", 0, 10, "1"),
            Field("symptoms.hypercalcemia", "Hypercalcaemia", "check"),
            Field("symptoms.dyspnea", "Dyspnoea", "check"),
            Field("symptoms.neurological_deficit", "Neurological deficit", "check"),
        ),
    ),
    (
        "labs",
        "Labs",
        (
            _num("labs.bilirubin_x_uln", "Bilirubin (\u00d7 ULN)", 0, 100),
            _num("labs.alt_x_uln", "ALT (\u00d7 ULN)", 0, 100),
            _num("labs.creatinine_clearance_ml_min", "Creatinine clearance (mL/min)", 0, 300),
            _num("labs.lvef_percent", "LVEF (%)", 0, 100),
            _num("labs.neutrophils_10e9_l", "Neutrophils (10⁹/L)", 0, 200),
            _num("labs.hba1c_percent", "HbA1c (%)", 2, 25),
        ),
    ),
    (
        "biomarkers",
        "Biomarkers",
        (
            _mutation("biomarkers.pik3ca", "PIK3CA"),
            _mutation("biomarkers.akt1", "AKT1"),
            _mutation("biomarkers.pten", "PTEN (loss = mutated)"),
            _mutation("biomarkers.esr1", "ESR1 (ctDNA)"),
            Field("biomarkers.gbrca", "Germline BRCA", "select", (NOT_TESTED, *_choices("none", "brca1", "brca2"))),
            Field("biomarkers.gpalb2", "Germline PALB2", "select", (NOT_TESTED, *_choices("none", "carrier"))),
            _num("biomarkers.pd_l1_cps", "PD-L1 CPS (22C3)", 0, 100),
            _num("biomarkers.pd_l1_sp142_ic_percent", "PD-L1 SP142 IC (%)", 0, 100),
            Field("biomarkers.msi_high", "MSI-high", "tri"),
            Field("biomarkers.ntrk_fusion", "NTRK fusion", "tri"),
        ),
    ),
    (
        "preferences",
        "Preferences",
        (
            Field("preferences.avoid_alopecia", "Avoid hair loss", "check"),
            Field("preferences.oral_only", "Oral treatment only", "check"),
        ),
    ),
)
SITE_CHOICES = (("", "choose…"), *((s, SITE_LABELS[s]) for s in SITES))
SETTING_CHOICES = (("", "choose…"), *_choices("neoadjuvant", "adjuvant", "metastatic"))
END_CHOICES = (("", "choose…"), *_choices("completed", "progression", "toxicity", "ongoing"))
RESPONSE_CHOICES = (("", "\u2013"), *_choices("CR", "PR", "SD", "PD"))
FINDING_CHOICES = _choices(*FINDINGS)
_BOOLEANS = {f.name for _, _, fs in GROUPS for f in fs if f.kind == "check"}
_SCALARS = [f for _, _, fs in GROUPS for f in fs if f.kind != "check"]


def number(text: str) -> int | float | str:
    """A number input's text as a number; text that is not a number stays text, so the case model
    names the field and says what it expected."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _put(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def lookup(data: Any, dotted: str) -> Any:
    """The value at a dotted location of a nested mapping (list indices as numbers), or None."""
    for part in dotted.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _indices(form: FormData, prefix: str, key: str) -> list[int]:
    pattern = re.compile(rf"^{prefix}\.(\d+)\.{key}$")
    return sorted({int(m.group(1)) for name in form if (m := pattern.match(name))})


def _metastases(form: FormData) -> list[dict[str, Any]]:
    rows = []
    for i in _indices(form, "metastases", "site"):
        site, count = form.get(f"metastases.{i}.site", ""), str(form.get(f"metastases.{i}.count", "")).strip()
        if not site and not count:
            continue
        row: dict[str, Any] = {"site": site} if site else {}
        if count:
            row["count"] = number(count)
        row["symptomatic"] = f"metastases.{i}.symptomatic" in form
        row["findings"] = form.getlist(f"metastases.{i}.findings")
        rows.append(row)
    return rows


def _drugs(text: str) -> list[str]:
    return [d.strip().lower().replace(" ", "_") for d in re.split(r"[,;+\n]", text) if d.strip()]


def _therapies(form: FormData) -> list[dict[str, Any]]:
    rows = []
    for i in _indices(form, "prior_therapies", "setting"):
        values = {
            k: str(form.get(f"prior_therapies.{i}.{k}", "")).strip()
            for k in ("setting", "drugs", "months_on_treatment", "ended_because", "best_response")
        }
        if not (values["setting"] or values["drugs"] or values["ended_because"]):
            continue
        row: dict[str, Any] = {k: v for k, v in values.items() if v and k != "drugs"}
        if "months_on_treatment" in row:
            row["months_on_treatment"] = number(row["months_on_treatment"])
        row["drugs"] = _drugs(values["drugs"])
        rows.append(row)
    return rows


def case_data(form: FormData) -> dict[str, Any]:
    """The submitted form as a case mapping: empty inputs are left out so the contract's defaults apply."""
    data: dict[str, Any] = {}
    for spec in _SCALARS:
        raw = str(form.get(spec.name, "")).strip()
        if raw and spec.kind == "tri":
            _put(data, spec.name, raw == "true")
        elif raw:
            _put(data, spec.name, number(raw) if spec.numeric else raw)
    for name in _BOOLEANS:
        _put(data, name, name in form)
    data["metastases"] = _metastases(form)
    data["visceral_crisis"] = "visceral_crisis" in form
    data["prior_therapies"] = _therapies(form)
    other = [c.strip().lower().replace(" ", "_") for c in str(form.get("comorbidities_other", "")).split(",")]
    data["comorbidities"] = list(dict.fromkeys([*form.getlist("comorbidities"), *(c for c in other if c)]))
    return data


def _known_names(data: dict[str, Any]) -> set[str]:
    names = {f.name for _, _, fs in GROUPS for f in fs} | {
        "visceral_crisis",
        "comorbidities",
        "metastases",
        "prior_therapies",
        "tumor",
    }
    for i, _ in enumerate(data.get("metastases") or []):
        names |= {f"metastases.{i}", *(f"metastases.{i}.{k}" for k in ("site", "count", "symptomatic", "findings"))}
    for i, _ in enumerate(data.get("prior_therapies") or []):
        names |= {
            f"prior_therapies.{i}",
            *(
                f"prior_therapies.{i}.{k}"
                for k in ("setting", "drugs", "months_on_treatment", "ended_because", "best_response")
            ),
        }
    return names


def field_errors(problems: Iterable[FieldProblem], data: dict[str, Any]) -> dict[str, list[str]]:
    """Messages keyed by the form input they belong to: the problem's own field, else its nearest parent shown."""
    known = _known_names(data)
    errors: dict[str, list[str]] = {}
    for problem in problems:
        parts = problem.field.split(".")
        while parts and ".".join(parts) not in known:
            parts.pop()
        errors.setdefault(".".join(parts) or "case", []).append(problem.message)
    return errors


def anchor(name: str) -> str:
    """The id of the input (or group) a problem points to."""
    return "f-" + name.replace(".", "-")


_GROUP_KEYS = ("tumor", "symptoms", "labs", "biomarkers", "preferences")
_ROW_KEYS = ("metastases", "prior_therapies")


def _scalar(value: Any) -> Any:
    """A value an input can show: strings, numbers, booleans and None as they are, anything else as text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list) and all(v is None or isinstance(v, str | int | float) for v in value):
        return value
    return str(value)[:200]


def _mapping(value: Any) -> dict[str, Any]:
    return {str(k): _scalar(v) for k, v in value.items()} if isinstance(value, dict) else {}


def normalise(data: Any) -> dict[str, Any]:
    """Uploaded content of any shape as the shape the form renders (the problems are reported separately).

    A case file may put a list where a number belongs, or a mapping where rows belong: the form shows
    what it can as text, so that rendering never fails on hostile input.
    """
    if not isinstance(data, dict):
        return {"metastases": [{}]}
    out: dict[str, Any] = {str(k): _scalar(v) for k, v in data.items() if k not in (*_GROUP_KEYS, *_ROW_KEYS)}
    for key in _GROUP_KEYS:
        out[key] = _mapping(data.get(key))
    for key in _ROW_KEYS:
        rows = data.get(key)
        out[key] = [_mapping(row) for row in rows] if isinstance(rows, list) else []
    comorbidities = data.get("comorbidities")
    out["comorbidities"] = [str(c) for c in comorbidities] if isinstance(comorbidities, list) else []
    return out


def clean_search(text: str) -> str:
    """A history search term: printable characters only, trimmed."""
    return "".join(c for c in text if c.isprintable()).strip()[:128]


def other_comorbidities(data: dict[str, Any]) -> str:
    return ", ".join(c for c in data.get("comorbidities") or [] if c not in KNOWN_COMORBIDITIES)


def display(value: Any) -> str:
    """A stored value as an input's text: None blank, 90.0 as 90, lists comma-separated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
