"""The case contract (shared spec ``case-and-plan.md`` §1) as strict pydantic models.

Every model forbids unknown fields so that a misspelt field is an error that names it,
never a silently dropped fact that could change a recommendation.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from mbctwin.case.vocabulary import known_drugs

ReceptorStatus = Literal["positive", "negative", "unknown"]
Her2Ihc = Literal["0", "ultralow", "1+", "2+", "3+", "unknown"]
Her2Ish = Literal["amplified", "not_amplified", "not_done"]
Site = Literal[
    "bone",
    "lung",
    "liver",
    "brain",
    "leptomeninges",
    "distant_lymph_node",
    "pleura",
    "skin",
    "peritoneum",
    "adrenal",
    "ovary",
    "bone_marrow",
    "other",
]
Finding = Literal[
    "spinal_cord_compression",
    "impending_fracture",
    "pathological_fracture",
    "leptomeningeal",
    "malignant_effusion",
    "biliary_obstruction",
    "lymphangitic",
]
Setting = Literal["neoadjuvant", "adjuvant", "metastatic"]
EndReason = Literal["completed", "progression", "toxicity", "ongoing"]
Response = Literal["CR", "PR", "SD", "PD"]
Mutation = Literal["mutated", "wild_type"]
Pregnancy = Literal["none", "pregnant", "breastfeeding"]

SITES: tuple[str, ...] = Site.__args__  # type: ignore[attr-defined]
FINDINGS: tuple[str, ...] = Finding.__args__  # type: ignore[attr-defined]

Percent = Annotated[float, Field(ge=0, le=100)]
Months = Annotated[float, Field(ge=0, le=1200)]
CASE_ID_MAX_LENGTH = 128
# Unicode bidirectional controls (embedding, override, isolate, marks): they make an id display
# as something other than what it is, so a stored case could impersonate another in a listing.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


CROSS_FIELD_ERROR = "cross_field"
CrossField = dict[str, object]


def cross_field(fields: tuple[str, ...], message: str) -> CrossField:
    """A problem that involves several fields (a contradiction, or a field another one requires)."""
    return {"fields": list(fields), "message": message}


def raise_cross_field(found: list[CrossField]) -> None:
    """Raise one error carrying every cross-field problem found (fields relative to the model).

    Pydantic lets a model validator raise a single error; the case reader
    (:func:`mbctwin.case.io.problems_from`) turns it back into one problem per field involved,
    so every field of a contradiction is named (CLI exit 2, HTTP 422)."""
    if found:
        summary = "; ".join(str(c["message"]) for c in found)
        raise PydanticCustomError(CROSS_FIELD_ERROR, "{summary}", {"summary": summary, "problems": found})


class _Strict(BaseModel):
    """Strict types (contract §3): a boolean is never a number, a number never a boolean, and a
    numeric string is not a number (forms convert their own text)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


class Tumor(_Strict):
    er: ReceptorStatus
    er_percent: Percent | None = None
    pr: ReceptorStatus
    her2_ihc: Her2Ihc
    her2_ish: Her2Ish = "not_done"
    grade: Annotated[int, Field(ge=1, le=3)] | None = None
    ki67_percent: Percent | None = None
    histology: Literal["ductal", "lobular", "other"] | None = None

    @field_validator("her2_ihc", mode="before")
    @classmethod
    def _ihc_zero_as_text(cls, value: object) -> object:
        """YAML reads an unquoted ``0`` as a number; the contract's value is the string "0"."""
        return "0" if value == 0 and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _er_percent_agrees(self) -> Tumor:
        """ASCO/CAP: ER < 1 % is negative, >= 1 % positive; a contradiction is an entry error."""
        if self.er_percent is None or self.er == "unknown":
            return self
        if (self.er == "positive") != (self.er_percent >= 1):
            raise_cross_field(
                [
                    cross_field(
                        ("er", "er_percent"),
                        f"er: {self.er} contradicts er_percent {self.er_percent:g} (ER >= 1 % is positive)",
                    )
                ]
            )
        return self


class Metastasis(_Strict):
    """One metastatic site. ``count`` absent = unknown (e.g. a FHIR import): never assumed, and a case
    with an unknown count is never oligometastatic."""

    site: Site
    count: Annotated[int, Field(ge=1, le=1000)] | None = None
    symptomatic: bool = False
    findings: list[Finding] = Field(default_factory=list)


class Symptoms(_Strict):
    pain_score: Annotated[int, Field(ge=0, le=10)] = 0
    hypercalcemia: bool = False
    dyspnea: bool = False
    neurological_deficit: bool = False


class Labs(_Strict):
    """Hard limits are values no living patient has (an entry error, refused naming the field);
    values that are possible but implausible pass and become plan ``warnings``
    (knowledge/data/rules/plausibility.yaml)."""

    bilirubin_x_uln: Annotated[float, Field(gt=0, le=100)] | None = None
    alt_x_uln: Annotated[float, Field(gt=0, le=500)] | None = None
    creatinine_clearance_ml_min: Annotated[float, Field(ge=0, le=300)] | None = None
    lvef_percent: Annotated[float, Field(ge=5, le=90)] | None = None
    neutrophils_10e9_l: Annotated[float, Field(ge=0, le=100)] | None = None
    hba1c_percent: Annotated[float, Field(ge=3, le=20)] | None = None


class Biomarkers(_Strict):
    pik3ca: Mutation | None = None
    akt1: Mutation | None = None
    pten: Mutation | None = None
    esr1: Mutation | None = None
    gbrca: Literal["none", "brca1", "brca2"] | None = None
    gpalb2: Literal["none", "carrier"] | None = None
    pd_l1_cps: Annotated[float, Field(ge=0, le=100)] | None = None
    pd_l1_sp142_ic_percent: Percent | None = None
    msi_high: bool | None = None
    ntrk_fusion: bool | None = None


class PriorTherapy(_Strict):
    setting: Setting
    drugs: Annotated[list[str], Field(min_length=1)]
    months_on_treatment: Months | None = None
    ended_because: EndReason
    best_response: Response | None = None

    @field_validator("drugs")
    @classmethod
    def _drugs_in_vocabulary(cls, drugs: list[str]) -> list[str]:
        """An unrecognised drug could hide a failed therapy, so it is refused, not ignored."""
        unknown = [d for d in drugs if d not in known_drugs()]
        if unknown:
            raise ValueError(
                f"unknown drug name(s) {unknown}: use lowercase INN names from the vocabulary "
                "(e.g. trastuzumab_deruxtecan)"
            )
        return drugs

    @model_validator(mode="after")
    def _response_only_metastatic(self) -> PriorTherapy:
        if self.best_response is not None and self.setting != "metastatic":
            raise ValueError("best_response is recorded for metastatic lines only")
        return self


class Preferences(_Strict):
    avoid_alopecia: bool = False
    oral_only: bool = False
    declines_chemotherapy: bool = False  # cytotoxic chemotherapy; antibody-drug conjugates count as chemotherapy


class Case(_Strict):
    """A patient with metastatic breast cancer, as the decision engine reads it."""

    id: Annotated[str, Field(min_length=1, max_length=CASE_ID_MAX_LENGTH)] | None = None
    age: Annotated[int, Field(ge=18, le=110)]
    sex: Literal["female", "male"]
    menopausal_status: Literal["pre", "peri", "post"] | None = None
    ecog: Annotated[int, Field(ge=0, le=4)]
    tumor: Tumor
    presentation: Literal["de_novo", "recurrent"]
    disease_free_interval_months: Months | None = None
    months_from_primary_diagnosis: Months | None = None
    metastases: Annotated[list[Metastasis], Field(min_length=1)]
    visceral_crisis: bool = False
    symptoms: Symptoms = Field(default_factory=Symptoms)
    labs: Labs = Field(default_factory=Labs)
    biomarkers: Biomarkers = Field(default_factory=Biomarkers)
    prior_therapies: list[PriorTherapy] = Field(default_factory=list)
    comorbidities: list[Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]] = Field(default_factory=list)
    preferences: Preferences = Field(default_factory=Preferences)
    pregnancy: Pregnancy = "none"
    gestational_weeks: Annotated[int, Field(ge=1, le=42)] | None = None

    @field_validator("id")
    @classmethod
    def _printable_id(cls, value: str | None) -> str | None:
        """Ids appear in listings, logs and file names: printable characters only, no bidi controls."""
        if value is not None and (not value.isprintable() or set(value) & BIDI_CONTROLS):
            raise ValueError("an id holds printable characters only (no control or bidirectional characters)")
        return value

    @model_validator(mode="after")
    def _fields_agree(self) -> Case:
        """Facts that cannot both be true, or that need another fact, are errors naming every field
        involved (contract §1); all of them are reported at once."""
        raise_cross_field(
            [
                *self._required_by_others(),
                *self._history_contradictions(),
                *self._pregnancy_contradictions(),
            ]
        )
        return self

    def _required_by_others(self) -> list[CrossField]:
        found = []
        if self.sex == "female" and self.menopausal_status is None:
            found.append(
                cross_field(
                    ("menopausal_status", "sex"),
                    "menopausal_status is required for female patients (pre | peri | post)",
                )
            )
        ongoing = [i for i, p in enumerate(self.prior_therapies) if p.ended_because == "ongoing"]
        if len(ongoing) > 1:
            fields = tuple(f"prior_therapies.{i}.ended_because" for i in ongoing)
            found.append(cross_field(fields, f"prior_therapies: only one entry can be ongoing, found {len(ongoing)}"))
        elif ongoing and ongoing[0] != len(self.prior_therapies) - 1:
            found.append(
                cross_field(
                    (f"prior_therapies.{ongoing[0]}.ended_because",),
                    "prior_therapies: the ongoing entry must be the last (oldest first)",
                )
            )
        return found

    def _history_contradictions(self) -> list[CrossField]:
        if self.presentation != "de_novo":
            return []
        found = [
            cross_field(
                ("presentation", f"prior_therapies.{i}.setting"),
                f"presentation: de_novo contradicts a {entry.setting} entry in prior_therapies (item {i}): "
                "de novo metastatic disease has had no curative-intent treatment",
            )
            for i, entry in enumerate(self.prior_therapies)
            if entry.setting != "metastatic"
        ]
        if self.disease_free_interval_months is not None:
            found.append(
                cross_field(
                    ("presentation", "disease_free_interval_months"),
                    "disease_free_interval_months is given for presentation: de_novo "
                    "(a disease-free interval exists only for recurrent disease)",
                )
            )
        return found

    def _pregnancy_contradictions(self) -> list[CrossField]:
        found = []
        if self.sex == "male" and self.pregnancy != "none":
            found.append(cross_field(("sex", "pregnancy"), f"pregnancy: {self.pregnancy} contradicts sex: male"))
        if self.gestational_weeks is not None and self.pregnancy != "pregnant":
            found.append(
                cross_field(
                    ("gestational_weeks", "pregnancy"),
                    f"gestational_weeks is given but pregnancy is {self.pregnancy} (only for pregnancy: pregnant)",
                )
            )
        if self.pregnancy == "pregnant" and self.gestational_weeks is None:
            found.append(
                cross_field(
                    ("pregnancy", "gestational_weeks"),
                    "pregnancy: pregnant needs gestational_weeks (1..42): the safe options depend on the trimester",
                )
            )
        return found

    @model_validator(mode="after")
    def _generate_id(self) -> Case:
        """A missing id becomes a hash of the content, so plans stay deterministic."""
        if self.id is None:
            content = json.dumps(self.model_dump(mode="json", exclude={"id"}), sort_keys=True)
            object.__setattr__(self, "id", "case-" + hashlib.sha256(content.encode()).hexdigest()[:12])
        return self
