"""FHIR R4 / mCODE Bundle -> case. What cannot be mapped is reported in ``unmapped``, never guessed.

The only module that imports ``fhir.resources``. R4 data is read with the R4B models (wire-compatible
with R4 for these resources; the default R5 models reject some R4 JSON). Code tables name their source
in ``docs/service.md``; codes that could not be confirmed are deliberately absent, so they land in
``unmapped``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from mbctwin.case.io import parse_case
from mbctwin.case.models import Case
from mbctwin.case.safe_load import check_shape
from mbctwin.case.vocabulary import known_drugs
from mbctwin.errors import CaseError, FieldProblem

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
HGNC = "http://www.genenames.org/geneId"
HISTOLOGY_EXT = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
DAYS_PER_MONTH = 30.4375
DE_NOVO_DAYS = 92  # metastasis found within ~3 months of the primary diagnosis counts as de novo (ABC)

PRIMARY_CODES = {(SNOMED, "254837009")}
SECONDARY_CODES = {(SNOMED, "128462008"), (SNOMED, "94225005")}
CODE_SITES = {
    (SNOMED, "94225005"): "brain",
    (ICD10CM, "C79.31"): "brain",
    (ICD10CM, "C79.51"): "bone",
    (ICD10CM, "C78.7"): "liver",
    (ICD10CM, "C78.00"): "lung",
    (ICD10CM, "C78.01"): "lung",
    (ICD10CM, "C78.02"): "lung",
}
BODY_SITES = {(SNOMED, "39607008"): "lung", (SNOMED, "10200004"): "liver", (SNOMED, "12738006"): "brain"}
HISTOLOGY = {(SNOMED, "82711006"): "ductal"}
ER_CODES = {"85337-4", "16112-5", "40556-3"}
PR_CODES = {"85339-0", "16113-3", "40557-1"}
HER2_IHC, HER2_ISH = "85319-2", "85318-4"
HER2_OVERALL = {"48676-1", "31150-6", "72382-5", "18474-7"}
ECOG_CODE = "89247-1"
VARIANT_CODE, GENE_STUDIED, GENOMIC_SOURCE = "69548-6", "48018-6", "48002-0"
POSITIVE = {(LOINC, "LA6576-8"), (SNOMED, "10828004")}
NEGATIVE = {(LOINC, "LA6577-6"), (SNOMED, "260385009")}
ECOG_ANSWERS = {(LOINC, "LA9622-7"): 0, (LOINC, "LA9623-5"): 1}
VARIANT_PRESENT = (LOINC, "LA9633-4")
GERMLINE, SOMATIC = (LOINC, "LA6683-2"), (LOINC, "LA6684-0")
POSTMENOPAUSAL = (SNOMED, "76498008")
GENES = {"HGNC:8975": "pik3ca", "HGNC:3467": "esr1", "HGNC:1100": "brca1", "HGNC:1101": "brca2"}
IHC_SCORE = re.compile(r"^(0|1\+|2\+|3\+)$")
MEDICATIONS = ("MedicationRequest", "MedicationAdministration", "MedicationStatement")
END_REASONS = {"completed": "completed", "active": "ongoing", "in-progress": "ongoing"}
MAX_ENTRIES = 2000  # a patient's record for a plan: hundreds of resources at most


@dataclass(frozen=True)
class Unmapped:
    """One element the importer did not turn into a case field, and why."""

    resource: str
    element: str
    reason: str


@dataclass(frozen=True)
class Inferred:
    """A case value the record does not state but the importer derived, and how (shown for review)."""

    field: str
    value: Any
    how: str


@dataclass(frozen=True)
class FhirImport:
    case: Case
    unmapped: list[Unmapped]
    inferred: list[Inferred] = field(default_factory=list)


@dataclass(frozen=True)
class FhirDraft:
    """Case fields mapped from a Bundle (possibly incomplete), what was not mapped, and what was derived."""

    data: dict[str, Any]
    unmapped: list[Unmapped]
    inferred: list[Inferred]


@dataclass
class _Therapy:
    drugs: list[str]
    start: date | None
    end: date | None
    status: str


@dataclass
class _Draft:
    """The case being assembled, with the dates that decide presentation and therapy settings."""

    data: dict[str, Any] = field(default_factory=lambda: {"tumor": {}, "biomarkers": {}})
    unmapped: list[Unmapped] = field(default_factory=list)
    inferred: list[Inferred] = field(default_factory=list)
    primary_onset: date | None = None
    metastasis_onsets: list[date] = field(default_factory=list)
    therapies: list[_Therapy] = field(default_factory=list)

    def skip(self, resource: dict[str, Any], element: str, reason: str) -> None:
        self.unmapped.append(Unmapped(f"{resource.get('resourceType')}/{resource.get('id', '?')}", element, reason))

    def infer(self, name: str, value: Any, how: str) -> None:
        """Set a derived top-level field and say so: the import summary lists every value not in the record."""
        self.data[name] = value
        self.note(name, value, how)

    def note(self, dotted: str, value: Any, how: str) -> None:
        self.inferred.append(Inferred(dotted, value, how))


def _codings(concept: dict[str, Any] | None) -> list[tuple[str, str]]:
    return [(c.get("system", ""), c.get("code", "")) for c in (concept or {}).get("coding", [])]


def _first(concept: dict[str, Any] | None, table: dict[tuple[str, str], Any]) -> Any:
    return next((table[c] for c in _codings(concept) if c in table), None)


def _loinc(resource: dict[str, Any]) -> set[str]:
    return {code for system, code in _codings(resource.get("code")) if system == LOINC}


def _day(value: Any) -> date | None:
    """FHIR date/dateTime text (year, year-month or full) to a date; partial dates take the first day."""
    if not isinstance(value, str) or len(value) < 4:
        return None
    parts = [*value[:10].split("-"), "01", "01"][:3]
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def _months(start: date, end: date) -> float:
    return round(max((end - start).days, 0) / DAYS_PER_MONTH, 1)


def _patient(draft: _Draft, res: dict[str, Any], as_of: date) -> None:
    if res.get("gender") in ("female", "male"):
        draft.data["sex"] = res["gender"]
    else:
        draft.skip(res, "gender", f"{res.get('gender')!r} has no counterpart in the case model (female | male)")
    born = _day(res.get("birthDate"))
    if born is None:
        draft.skip(res, "birthDate", "missing: age cannot be computed")
        return
    age = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
    draft.infer("age", age, f"from birthDate {born.isoformat()} at {as_of.isoformat()} (Bundle timestamp, else today)")


def _onset(res: dict[str, Any]) -> date | None:
    return _day(res.get("onsetDateTime")) or _day(res.get("recordedDate"))


def _is_primary(res: dict[str, Any]) -> bool:
    codes = _codings(res.get("code"))
    return any(c in PRIMARY_CODES or (c[0] == ICD10CM and c[1].startswith("C50")) for c in codes)


def _is_secondary(res: dict[str, Any]) -> bool:
    codes = _codings(res.get("code"))
    return any(c in SECONDARY_CODES or (c[0] == ICD10CM and c[1][:3] in ("C77", "C78", "C79")) for c in codes)


def _primary(draft: _Draft, res: dict[str, Any]) -> None:
    draft.primary_onset = _onset(res)
    for ext in res.get("extension", []):
        if ext.get("url") == HISTOLOGY_EXT:
            histology = _first(ext.get("valueCodeableConcept"), HISTOLOGY)
            if histology:
                draft.data["tumor"]["histology"] = histology
            else:
                draft.skip(
                    res,
                    "extension[histology]",
                    f"histology code {_codings(ext.get('valueCodeableConcept'))} is not in the mapping table",
                )


def _secondary(draft: _Draft, res: dict[str, Any]) -> None:
    site = _first(res.get("code"), CODE_SITES)
    site = site or next((_first(b, BODY_SITES) for b in res.get("bodySite", []) if _first(b, BODY_SITES)), None)
    if site is None:
        draft.skip(res, "code/bodySite", "metastasis site not recognised (see the mapping table)")
        return
    if onset := _onset(res):
        draft.metastasis_onsets.append(onset)
    if all(m["site"] != site for m in draft.data.setdefault("metastases", [])):
        # A Condition names a site, not its lesions: the count stays unknown (contract §1).
        draft.data["metastases"].append({"site": site})


def _condition(draft: _Draft, res: dict[str, Any], _as_of: date) -> None:
    status = {code for _, code in _codings(res.get("verificationStatus"))}
    if status & {"refuted", "entered-in-error"}:
        draft.skip(res, "verificationStatus", "refuted or entered in error: ignored")
    elif _is_secondary(res):
        _secondary(draft, res)
    elif _is_primary(res):
        _primary(draft, res)
    else:
        draft.skip(res, "code", "not a breast cancer or secondary cancer condition (comorbidities are not mapped)")


def _polarity(res: dict[str, Any]) -> str | None:
    value = res.get("valueCodeableConcept")
    if any(c in POSITIVE for c in _codings(value)):
        return "positive"
    if any(c in NEGATIVE for c in _codings(value)):
        return "negative"
    return None


def _receptor(draft: _Draft, res: dict[str, Any], key: str) -> None:
    polarity = _polarity(res)
    if polarity is None:
        draft.skip(res, "value", f"{key.upper()} result is not a positive/negative code of the mapping table")
    else:
        draft.data["tumor"][key] = polarity


def _her2(draft: _Draft, res: dict[str, Any], codes: set[str]) -> None:
    text = res.get("valueString") or (res.get("valueCodeableConcept") or {}).get("text") or ""
    if HER2_IHC in codes and IHC_SCORE.match(text.strip()):
        draft.data["tumor"]["her2_ihc"] = text.strip()
    elif HER2_ISH in codes and _polarity(res):
        draft.data["tumor"]["her2_ish"] = "amplified" if _polarity(res) == "positive" else "not_amplified"
    else:
        draft.skip(
            res,
            "value",
            "HER2 needs an IHC score (0, 1+, 2+, 3+) or an ISH result: a bare "
            "positive/negative cannot tell HER2-0 from HER2-low",
        )


def _ecog(draft: _Draft, res: dict[str, Any]) -> None:
    value = res.get("valueInteger")
    value = value if value is not None else _first(res.get("valueCodeableConcept"), ECOG_ANSWERS)
    if value is None:
        draft.skip(res, "value", "ECOG grade is neither valueInteger nor a known LOINC answer")
    else:
        draft.data["ecog"] = value


def _component(res: dict[str, Any], code: str) -> dict[str, Any] | None:
    return next((c for c in res.get("component", []) if (LOINC, code) in _codings(c.get("code"))), None)


def _variant(draft: _Draft, res: dict[str, Any]) -> None:
    gene_part = _component(res, GENE_STUDIED) or {}
    gene = next(
        (GENES[c] for s, c in _codings(gene_part.get("valueCodeableConcept")) if s == HGNC and c in GENES), None
    )
    source = _codings((_component(res, GENOMIC_SOURCE) or {}).get("valueCodeableConcept"))
    if gene is None or VARIANT_PRESENT not in _codings(res.get("valueCodeableConcept")):
        draft.skip(res, "component[gene-studied]/value", "not a present variant in PIK3CA, ESR1, BRCA1 or BRCA2")
    elif gene.startswith("brca") and GERMLINE in source:
        draft.data["biomarkers"]["gbrca"] = gene
    elif gene.startswith("brca"):
        draft.skip(res, "component[genomic-source-class]", "BRCA variant not marked germline (LA6683-2)")
    else:
        draft.data["biomarkers"][gene] = "mutated"


def _observation(draft: _Draft, res: dict[str, Any], _as_of: date) -> None:
    codes = _loinc(res)
    if codes & ER_CODES:
        _receptor(draft, res, "er")
    elif codes & PR_CODES:
        _receptor(draft, res, "pr")
    elif codes & ({HER2_IHC, HER2_ISH} | HER2_OVERALL):
        _her2(draft, res, codes)
    elif ECOG_CODE in codes:
        _ecog(draft, res)
    elif VARIANT_CODE in codes:
        _variant(draft, res)
    elif POSTMENOPAUSAL in _codings(res.get("valueCodeableConcept")):
        draft.data["menopausal_status"] = "post"
    else:
        draft.skip(res, "code", "observation code not in the mapping table")


def _drug(concept: dict[str, Any] | None) -> str | None:
    """A vocabulary INN matched by name (text or coding display); RxNorm codes alone are not trusted."""
    names = [concept.get("text")] if concept else []
    names += [c.get("display") for c in (concept or {}).get("coding", [])]
    for name in names:
        key = re.sub(r"[\s-]+", "_", (name or "").strip().lower())
        if key in known_drugs():
            return key
    return None


def _period(res: dict[str, Any]) -> tuple[date | None, date | None]:
    period = res.get("effectivePeriod") or {}
    start = _day(period.get("start")) or _day(res.get("effectiveDateTime")) or _day(res.get("authoredOn"))
    return start, _day(period.get("end"))


def _medication(draft: _Draft, res: dict[str, Any], _as_of: date) -> None:
    drug = _drug(res.get("medicationCodeableConcept"))
    status = END_REASONS.get(res.get("status", ""))
    start, end = _period(res)
    if drug is None:
        draft.skip(res, "medication", "drug not named by an INN of the vocabulary (text or coding display)")
    elif status is None or start is None:
        draft.skip(
            res,
            "status/date",
            f"status {res.get('status')!r} or start date cannot give how the line "
            "ended (progression vs toxicity) and its setting",
        )
    else:
        draft.therapies.append(_Therapy([drug], start, end, status))


def _unused(draft: _Draft, res: dict[str, Any], _as_of: date) -> None:
    draft.skip(res, "resourceType", "not used by the case model")


HANDLERS: dict[str, Callable[[_Draft, dict[str, Any], date], None]] = {
    "Patient": _patient,
    "Condition": _condition,
    "Observation": _observation,
    **dict.fromkeys(MEDICATIONS, _medication),
}


def _group(therapies: list[_Therapy]) -> Iterator[_Therapy]:
    """Drugs started the same day with the same status form one line (e.g. letrozole + ribociclib)."""
    lines: dict[tuple[date | None, str], _Therapy] = {}
    for therapy in sorted(therapies, key=lambda t: (t.start or date.min, t.drugs)):
        key = (therapy.start, therapy.status)
        line = lines.setdefault(key, _Therapy([], therapy.start, therapy.end, therapy.status))
        line.drugs = sorted({*line.drugs, *therapy.drugs})
    yield from lines.values()


def _settings(draft: _Draft) -> None:
    """Presentation from the dates; therapies before the metastasis are adjuvant, after it metastatic."""
    met = min(draft.metastasis_onsets, default=None)
    if met is None or draft.primary_onset is None:
        return
    gap = (met - draft.primary_onset).days
    presentation = "de_novo" if gap <= DE_NOVO_DAYS else "recurrent"
    dates = f"primary diagnosis {draft.primary_onset.isoformat()}, first metastasis {met.isoformat()}"
    draft.infer("presentation", presentation, f"{dates}: {gap} days apart (de novo when <= {DE_NOVO_DAYS})")
    draft.infer("months_from_primary_diagnosis", _months(draft.primary_onset, met), dates)
    draft.data["prior_therapies"] = []
    for i, line in enumerate(_group(draft.therapies)):
        _therapy_line(draft, i, line, met)
    adjuvant_ends = [t.end for t in draft.therapies if t.start and t.start < met]
    if presentation == "recurrent" and adjuvant_ends and all(adjuvant_ends):
        last = max(e for e in adjuvant_ends if e)
        how = f"end of the last adjuvant drug {last.isoformat()} to the first metastasis {met.isoformat()}"
        draft.infer("disease_free_interval_months", _months(last, met), how)


def _therapy_line(draft: _Draft, index: int, line: _Therapy, met: date) -> None:
    """One line of ``prior_therapies``: its setting and duration come from dates, so both are listed as inferred."""
    before = bool(line.start and line.start < met)
    entry: dict[str, Any] = {"setting": "adjuvant" if before else "metastatic", "drugs": line.drugs}
    entry["ended_because"] = line.status
    start = line.start.isoformat() if line.start else "?"
    how = f"started {start}, {'before' if before else 'after'} the first metastasis {met.isoformat()}"
    if len(line.drugs) > 1:
        how += "; drugs started the same day with the same status form one line"
    draft.note(f"prior_therapies.{index}.setting", entry["setting"], how)
    if line.start and line.end:
        entry["months_on_treatment"] = _months(line.start, line.end)
        period = f"{line.start.isoformat()} to {line.end.isoformat()}"
        draft.note(f"prior_therapies.{index}.months_on_treatment", entry["months_on_treatment"], period)
    draft.data["prior_therapies"].append(entry)


def _entry_key(entry: Any) -> str | None:
    """What identifies an entry: its ``fullUrl``, else ``resourceType/id``; None when it has neither."""
    if not isinstance(entry, dict):
        return None
    resource = entry.get("resource")
    if isinstance(entry.get("fullUrl"), str):
        return entry["fullUrl"]
    if isinstance(resource, dict) and isinstance(resource.get("id"), str):
        return f"{resource.get('resourceType')}/{resource['id']}"
    return None


def _unique_entries(bundle: dict[str, Any]) -> tuple[list[Any], list[Unmapped]]:
    """The entries once each: a repeated ``fullUrl`` or ``resourceType/id`` is reported and not counted twice."""
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        return entries, []
    if len(entries) > MAX_ENTRIES:
        raise CaseError([FieldProblem("bundle.entry", f"{len(entries)} entries: at most {MAX_ENTRIES} are read")])
    first: dict[str, int] = {}
    unique, duplicates = [], []
    for index, entry in enumerate(entries):
        key = _entry_key(entry)
        if key is None or key not in first:
            first.setdefault(key or "", index)
            unique.append(entry)
            continue
        same = "the same content" if entry == entries[first[key]] else "different content (the first was used)"
        reason = f"duplicate of entry {first[key]} ({key}) with {same}: counted once"
        duplicates.append(Unmapped(key, f"entry[{index}]", reason))
    return unique, duplicates


def _validated(bundle: Any) -> tuple[list[dict[str, Any]], list[Unmapped]]:
    """Check the Bundle's size and its FHIR R4 structure; errors name ``bundle.<path>``. Duplicates are set apart."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise CaseError([FieldProblem("bundle", "expected a FHIR Bundle (resourceType: Bundle)")])
    check_shape(bundle, where="bundle")
    entries, duplicates = _unique_entries(bundle)
    try:
        parsed = Bundle.model_validate({**bundle, "entry": entries} if entries else bundle)
    except (ValidationError, ValueError, TypeError, KeyError, AttributeError) as error:  # fhir_core raises all of these
        problems = [FieldProblem("bundle." + ".".join(map(str, e["loc"])), e["msg"]) for e in _errors(error)]
        fallback = FieldProblem("bundle", f"not a valid FHIR R4 Bundle ({type(error).__name__}: {str(error)[:200]})")
        raise CaseError(problems or [fallback]) from None
    resources = [e.resource.model_dump(mode="json") for e in parsed.entry or [] if e.resource is not None]
    return resources, duplicates


def _errors(error: Exception) -> list[dict[str, Any]]:
    return [dict(e) for e in error.errors()] if isinstance(error, ValidationError) else []


def bundle_to_draft(bundle: Any, *, as_of: date | None = None) -> FhirDraft:
    """Map a Bundle to case fields (possibly incomplete), what was not mapped, and what was derived.

    ``as_of`` (for the age) defaults to the Bundle's timestamp, else today.
    """
    resources, duplicates = _validated(bundle)
    as_of = as_of or _day(bundle.get("timestamp")) or datetime.now().date()
    draft = _Draft(unmapped=duplicates)
    for res in resources:
        HANDLERS.get(res.get("resourceType", ""), _unused)(draft, res, as_of)
    _settings(draft)
    if draft.therapies and "prior_therapies" not in draft.data:
        draft.skip(
            {"resourceType": "Bundle", "id": bundle.get("id")},
            "prior therapies",
            "no dated primary and secondary cancer conditions: therapy settings cannot be told",
        )
    if draft.data.get("sex") == "male":
        draft.data.pop("menopausal_status", None)
    return FhirDraft(draft.data, draft.unmapped, draft.inferred)


def import_bundle(bundle: Any, *, as_of: date | None = None) -> FhirImport:
    """A validated case from a Bundle, or :class:`CaseError` naming each missing or bad field."""
    draft = bundle_to_draft(bundle, as_of=as_of)
    try:
        case = parse_case(draft.data)
    except CaseError as error:
        notes = [FieldProblem(f"unmapped.{u.resource}", f"{u.element}: {u.reason}") for u in draft.unmapped]
        raise CaseError(error.problems + notes) from None
    return FhirImport(case=case, unmapped=draft.unmapped, inferred=draft.inferred)
