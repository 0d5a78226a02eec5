"""The seed a run records: the integer entropy of its root ``numpy.random.SeedSequence``.

Every random run takes a seed (an integer, a ``SeedSequence``, or ``None`` for fresh entropy) and
records the root entropy in its result, so the run can be repeated exactly.
"""

from __future__ import annotations

import operator

import numpy as np


def recorded_seed(sequence: np.random.SeedSequence) -> int:
    """The root entropy of ``sequence`` as a plain ``int`` (what results record and ``--seed`` takes).

    Examples
    --------
    >>> recorded_seed(np.random.SeedSequence(7))
    7
    """
    entropy = sequence.entropy
    if entropy is None or not isinstance(entropy, int | np.integer):
        raise TypeError(f"a run's root seed is one integer, not {entropy!r}")
    return operator.index(entropy)
