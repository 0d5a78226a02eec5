"""Families of options (contract §2): options that differ only by a drug of the same class share one,
so displays can group them ("aromatase inhibitor + CDK4/6 inhibitor: ribociclib, abemaciclib or
palbociclib") and say what separates the members where the evidence does."""

from __future__ import annotations

from collections import Counter

from mbctwin.case.vocabulary import Vocabulary
from mbctwin.engine.contract import SystemicOption
from mbctwin.knowledge.kept import kept_by_identity, kept_in


def family(vocab: Vocabulary, drugs: list[str]) -> str:
    """The class labels of the drugs in order ("anti-HER2 antibody x2 + taxane"); a drug's first class names it.

    Kept per vocabulary: a plan asks for each option's family several times (ranking, shortlist, the
    option itself) and the answer depends on the drugs alone."""
    return kept_in(_families(vocab), tuple(drugs), _family, vocab, drugs)


@kept_by_identity(limit=16)
def _families(vocab: Vocabulary) -> dict[tuple[str, ...], str]:
    return {}


def _family(vocab: Vocabulary, drugs: list[str]) -> str:
    counts = Counter(vocab.drugs[d].classes[0] for d in drugs)
    parts = []
    for cls in dict.fromkeys(vocab.drugs[d].classes[0] for d in drugs):
        label = vocab.class_labels[cls]
        parts.append(f"{label} x{counts[cls]}" if counts[cls] > 1 else label)
    return " + ".join(parts)


def grouped(options: list[SystemicOption]) -> list[list[SystemicOption]]:
    """Options grouped by family, each group in the rank of its best member."""
    groups: dict[str, list[SystemicOption]] = {}
    for option in sorted(options, key=lambda o: o.rank):
        groups.setdefault(option.family, []).append(option)
    return list(groups.values())


def members_text(group: list[SystemicOption]) -> str:
    """The drugs that differ between the members, as words ("ribociclib, abemaciclib or palbociclib")."""
    shared = set.intersection(*(set(o.drugs) for o in group))
    names = [" + ".join(_word(d) for d in o.drugs if d not in shared) or o.regimen for o in group]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def separation(option: SystemicOption) -> str:
    """What the evidence says about this member: its trial's result, or that it has no trial of its own."""
    trial = next((e for e in option.evidence if e.kind in ("trial", "meta_analysis", "study") and e.finding), None)
    if trial is None:
        return "no trial of its own in the knowledge base"
    return f"{trial.source}: {trial.finding}"


def _word(drug: str) -> str:
    return drug.replace("_", " ")
