"""What kind of treatment a regimen is, by the vocabulary classes of its drugs (asked often, so cached)."""

from __future__ import annotations

from functools import cache

from mbctwin.case.vocabulary import vocabulary
from mbctwin.course.params import Utilities


@cache
def is_chemotherapy(drugs: tuple[str, ...]) -> bool:
    return "chemotherapy" in vocabulary().classes_of(list(drugs))


@cache
def is_cytotoxic(drugs: tuple[str, ...]) -> bool:
    """Chemotherapy or an antibody-drug conjugate with a cytotoxic payload: the vocabulary's
    ``cytotoxic`` attribute, the one the engine's exclusions and sequencing read too."""
    vocab = vocabulary()
    return any(vocab.drugs[d].attribute("cytotoxic") is True for d in drugs)


@cache
def has_checkpoint_inhibitor(drugs: tuple[str, ...]) -> bool:
    """A PD-1/PD-L1 inhibitor in the regimen: the vocabulary's ``immune_checkpoint_inhibitor`` class."""
    return "immune_checkpoint_inhibitor" in vocabulary().classes_of(list(drugs))


def regimen_utility(drugs: tuple[str, ...], utilities: Utilities) -> float:
    """Utility while on a regimen (Lloyd 2006): progression-free, less the alopecia and chemotherapy
    disutilities when the regimen has them. The simulator's QALYs and the cost model's discounted QALYs
    both read it, so the two always agree."""
    vocab = vocabulary()
    alopecia = any(vocab.drugs[d].alopecia_common for d in drugs)
    chemotherapy = is_chemotherapy(tuple(drugs))
    return (
        utilities.progression_free
        - alopecia * utilities.alopecia_disutility
        - chemotherapy * utilities.chemotherapy_disutility
    )
