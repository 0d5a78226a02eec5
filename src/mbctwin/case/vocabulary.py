"""Drug and class names shared by cases, the knowledge base and plans (spec ``vocabulary.md``).

The names live in ``knowledge/data/vocabulary.yaml``; this module only reads that data
file, so the case layer does not depend on the knowledge-base code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Drug:
    name: str
    classes: tuple[str, ...]
    route: tuple[str, ...]
    alopecia_common: bool = False
    continues_beyond_progression: bool = False


@dataclass(frozen=True)
class Vocabulary:
    drugs: dict[str, Drug]
    classes: dict[str, frozenset[str]]
    groups: dict[str, frozenset[str]]
    supportive_classes: frozenset[str]
    cross_resistant: tuple[frozenset[str], ...]

    def classes_of(self, drugs: list[str] | tuple[str, ...]) -> set[str]:
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


@cache
def vocabulary() -> Vocabulary:
    text = resources.files("mbctwin.knowledge").joinpath("data", "vocabulary.yaml").read_text()
    raw = yaml.safe_load(text)
    drugs = {
        name: Drug(
            name=name,
            classes=tuple(spec["classes"]),
            route=tuple(spec["route"]),
            alopecia_common=spec.get("alopecia_common", False),
            continues_beyond_progression=spec.get("continues_beyond_progression", False),
        )
        for name, spec in raw["drugs"].items()
    }
    classes: dict[str, set[str]] = {c: set() for c in raw["classes"]}
    for drug in drugs.values():
        for cls in drug.classes:
            classes[cls].add(drug.name)
    groups = {g: frozenset(members) for g, members in raw["groups"].items()}
    return Vocabulary(
        drugs=drugs,
        classes={c: frozenset(m) for c, m in classes.items()},
        groups=groups,
        supportive_classes=frozenset(raw["supportive_classes"]),
        cross_resistant=tuple(frozenset(g) for g in raw["cross_resistant"]),
    )


def known_drugs() -> dict[str, Drug]:
    return vocabulary().drugs
