"""Drug and class names shared by cases, the knowledge base and plans (spec ``vocabulary.md``), with
the attributes that give each drug its meaning for safety rules (mechanism, not name).

The names and attributes live in ``knowledge/data/vocabulary.yaml``. A class carries attributes
that every drug of the class inherits (so a new drug of a class gets them without a line of code:
datopotamab deruxtecan and trastuzumab deruxtecan share what their payload does); a drug may
override one. Each attribute is declared once, with its allowed values; a value that claims a risk
names the knowledge-base sources it comes from (the knowledge-base loader checks those ids).

This module only reads the data file (no knowledge-base code), so the case layer can validate drug
names on its own; the knowledge base loads the same file from its own root
(:func:`load_vocabulary`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mbctwin.datafiles import read_data

Name = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
AttributeValue = str | bool


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AttributeSpec(_Spec):
    """One attribute: its meaning, its allowed values, and which values need no source.

    ``unsourced`` values state the absence of a known risk (``not_major``) or a definition
    (``cytotoxic``); every other value must name the label or guideline it comes from."""

    description: str
    values: list[AttributeValue] = Field(min_length=1)
    unsourced: list[AttributeValue] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unsourced_are_values(self) -> AttributeSpec:
        extra = [v for v in self.unsourced if v not in self.values]
        if extra:
            raise ValueError(f"unsourced values {extra} are not among the values {self.values}")
        return self


class Sourced(_Spec):
    value: AttributeValue
    sources: list[Name] = Field(default_factory=list)


AttributeEntry = AttributeValue | Sourced


class ClassSpec(_Spec):
    """A class, or a mechanism shared across classes (a payload): attributes its drugs inherit.
    ``label`` names the class for people (plan families, the terminal view)."""

    label: str | None = None
    description: str | None = None
    attributes: dict[Name, AttributeEntry] = Field(default_factory=dict)


class DrugSpec(_Spec):
    classes: list[Name] = Field(min_length=1)
    mechanisms: list[Name] = Field(default_factory=list)
    route: list[str] = Field(min_length=1)
    alopecia_common: bool = False
    continues_beyond_progression: bool = False
    attributes: dict[Name, AttributeEntry] = Field(default_factory=dict)


class VocabularyFile(_Spec):
    """The schema of ``vocabulary.yaml``."""

    version: str
    attributes: dict[Name, AttributeSpec]
    classes: dict[Name, ClassSpec]
    mechanisms: dict[Name, ClassSpec] = Field(default_factory=dict)
    groups: dict[Name, list[Name]]
    supportive_classes: list[Name]
    cross_resistant: list[list[Name]]
    drugs: dict[Name, DrugSpec]

    @model_validator(mode="after")
    def _names_resolve(self) -> VocabularyFile:
        problems = [
            *(f"group {g}: unknown class {c!r}" for g, cs in self.groups.items() for c in cs if c not in self.classes),
            *(
                f"drug {d}: unknown class {c!r}"
                for d, s in self.drugs.items()
                for c in s.classes
                if c not in self.classes
            ),
            *(
                f"drug {d}: unknown mechanism {m!r}"
                for d, s in self.drugs.items()
                for m in s.mechanisms
                if m not in self.mechanisms
            ),
            *(
                f"cross_resistant: unknown drug {d!r}"
                for group in self.cross_resistant
                for d in group
                if d not in self.drugs
            ),
            *self._attribute_problems(),
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _attribute_problems(self) -> Iterable[str]:
        owners: list[tuple[str, Mapping[str, AttributeEntry]]] = [
            *((f"class {c}", s.attributes) for c, s in self.classes.items()),
            *((f"mechanism {m}", s.attributes) for m, s in self.mechanisms.items()),
            *((f"drug {d}", s.attributes) for d, s in self.drugs.items()),
        ]
        for owner, attributes in owners:
            for name, entry in attributes.items():
                spec = self.attributes.get(name)
                if spec is None:
                    yield f"{owner}: unknown attribute {name!r}"
                    continue
                value, sources = _split(entry)
                if value not in spec.values:
                    yield f"{owner}: {name} value {value!r} not in {spec.values}"
                elif not sources and value not in spec.unsourced:
                    yield f"{owner}: {name} {value!r} needs the sources it comes from"


def _split(entry: AttributeEntry) -> tuple[AttributeValue, tuple[str, ...]]:
    return (entry.value, tuple(entry.sources)) if isinstance(entry, Sourced) else (entry, ())


@dataclass(frozen=True)
class Drug:
    name: str
    classes: tuple[str, ...]
    route: tuple[str, ...]
    alopecia_common: bool = False
    continues_beyond_progression: bool = False
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)  # inherited from classes, then own
    attribute_sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def attribute(self, name: str) -> AttributeValue | None:
        return self.attributes.get(name)


@dataclass(frozen=True)
class Vocabulary:
    version: str
    drugs: dict[str, Drug]
    classes: dict[str, frozenset[str]]
    groups: dict[str, frozenset[str]]
    supportive_classes: frozenset[str]
    cross_resistant: tuple[frozenset[str], ...]
    attribute_specs: dict[str, AttributeSpec] = field(default_factory=dict)
    class_labels: dict[str, str] = field(default_factory=dict)
    conflicts: tuple[str, ...] = ()  # a drug whose classes disagree on an attribute it does not set itself

    def classes_of(self, drugs: Iterable[str]) -> set[str]:
        """Vocabulary classes and scoring groups that a set of drugs belongs to."""
        found = {c for d in drugs for c in self.drugs[d].classes}
        found |= {g for g, members in self.groups.items() if found & members}
        return found

    def equivalents(self, drug: str) -> set[str]:
        """The drug plus those that fail with it (letrozole and anastrozole: one failure, both)."""
        same = {drug}
        for group in self.cross_resistant:
            if drug in group:
                same |= group
        return same

    def members(self, name: str) -> frozenset[str]:
        """The drugs of a class, or of every class of a group (``chemotherapy``)."""
        if name in self.classes:
            return self.classes[name]
        return frozenset(d for c in self.groups.get(name, ()) for d in self.classes[c])

    def drugs_where(self, attribute: str, values: Iterable[AttributeValue]) -> frozenset[str]:
        """Drugs whose (inherited or own) value of ``attribute`` is one of ``values``."""
        wanted = set(values)
        return frozenset(d.name for d in self.drugs.values() if d.attributes.get(attribute, _MISSING) in wanted)

    def lacking(self, attribute: str) -> list[str]:
        """Drugs that state no value for ``attribute`` (neither through a class nor themselves)."""
        return sorted(d.name for d in self.drugs.values() if attribute not in d.attributes)

    def sources_cited(self) -> dict[str, set[str]]:
        """Source id -> the drugs whose attribute values cite it (the loader checks the ids exist)."""
        cited: dict[str, set[str]] = {}
        for drug in self.drugs.values():
            for sources in drug.attribute_sources.values():
                for source in sources:
                    cited.setdefault(source, set()).add(drug.name)
        return cited


_MISSING = object()


class VocabularyError(ValueError):
    """``vocabulary.yaml`` breaks its schema; the message names the entry."""


def parse_vocabulary(raw: Any) -> Vocabulary:
    """Validate a parsed ``vocabulary.yaml`` and resolve class attributes onto drugs."""
    try:
        spec = VocabularyFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "vocabulary"
        raise VocabularyError(f"vocabulary.yaml {where}: {first['msg']}") from None
    drugs: dict[str, Drug] = {}
    conflicts: list[str] = []
    for name, drug in spec.drugs.items():
        values, sources, clash = _resolve(spec, drug)
        conflicts += [f"drug {name}: classes disagree on {a}; set it on the drug" for a in clash]
        drugs[name] = Drug(
            name=name,
            classes=tuple(drug.classes),
            route=tuple(drug.route),
            alopecia_common=drug.alopecia_common,
            continues_beyond_progression=drug.continues_beyond_progression,
            attributes=values,
            attribute_sources=sources,
        )
    classes: dict[str, set[str]] = {c: set() for c in spec.classes}
    for drug_record in drugs.values():
        for cls in drug_record.classes:
            classes[cls].add(drug_record.name)
    return Vocabulary(
        version=spec.version,
        drugs=drugs,
        classes={c: frozenset(m) for c, m in classes.items()},
        groups={g: frozenset(members) for g, members in spec.groups.items()},
        supportive_classes=frozenset(spec.supportive_classes),
        cross_resistant=tuple(frozenset(g) for g in spec.cross_resistant),
        attribute_specs=dict(spec.attributes),
        class_labels={c: s.label or c.replace("_", " ") for c, s in spec.classes.items()},
        conflicts=tuple(conflicts),
    )


def _resolve(
    spec: VocabularyFile, drug: DrugSpec
) -> tuple[dict[str, AttributeValue], dict[str, tuple[str, ...]], list[str]]:
    """Class attributes, then mechanism attributes (both inherited), then the drug's own (which win);
    names the attributes on which two of its classes disagree."""
    values: dict[str, AttributeValue] = {}
    sources: dict[str, tuple[str, ...]] = {}
    clash: list[str] = []
    for cls in drug.classes:
        for name, entry in spec.classes[cls].attributes.items():
            value, cited = _split(entry)
            if name in values and values[name] != value and name not in drug.attributes:
                clash.append(name)
            values[name], sources[name] = value, cited
    for mechanism in drug.mechanisms:
        for name, entry in spec.mechanisms[mechanism].attributes.items():
            values[name], sources[name] = _split(entry)
    for name, entry in drug.attributes.items():
        values[name], sources[name] = _split(entry)
    return values, sources, clash


def load_vocabulary(folder: Traversable | Path) -> Vocabulary:
    """The vocabulary of a knowledge-base data folder (``<folder>/vocabulary.yaml``)."""
    text = folder.joinpath("vocabulary.yaml").read_text(encoding="utf-8")
    return parse_vocabulary(read_data(text))


@cache
def vocabulary() -> Vocabulary:
    """The packaged vocabulary: the names every case is checked against."""
    return load_vocabulary(resources.files("mbctwin.knowledge").joinpath("data"))


def known_drugs() -> dict[str, Drug]:
    return vocabulary().drugs
