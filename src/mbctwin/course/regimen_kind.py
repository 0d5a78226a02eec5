"""What kind of treatment a regimen is, by the vocabulary classes of its drugs (asked often, so cached)."""

from __future__ import annotations

from functools import cache

from mbctwin.case.vocabulary import vocabulary

CYTOTOXIC_CLASSES = frozenset({"anti_her2_adc", "trop2_adc"})


@cache
def is_chemotherapy(drugs: tuple[str, ...]) -> bool:
    return "chemotherapy" in vocabulary().classes_of(list(drugs))


@cache
def is_cytotoxic(drugs: tuple[str, ...]) -> bool:
    """Chemotherapy or an antibody-drug conjugate with a cytotoxic payload."""
    return is_chemotherapy(drugs) or bool(vocabulary().classes_of(list(drugs)) & CYTOTOXIC_CLASSES)
