"""Distinct rows of an integer table, fast: the simulator groups patients by state every line.

``np.unique(axis=0)`` sorts whole rows as structured records, which costs most of a run when
states are many-columned. Rows are hashed to one 64-bit number instead (a polynomial hash with
wrapping arithmetic), grouped with a 1-D ``np.unique``, and the grouping is checked exactly: if two
different rows ever share a hash, the exact structured sort is used, so the result is always
identical to ``np.unique(keys, axis=0, return_inverse=True)`` up to the order of the rows.
"""

from __future__ import annotations

import numpy as np

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant (golden ratio), spreads bits


def unique_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows, index of each input row's distinct row) for a 2-D integer array."""
    if keys.shape[0] == 0:
        return keys, np.empty(0, dtype=np.intp)
    hashed = np.zeros(keys.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in keys.astype(np.int64).view(np.uint64).T:
            hashed = hashed * _MULTIPLIER + column
    _, first, inverse = np.unique(hashed, return_index=True, return_inverse=True)
    unique = keys[first]
    if not np.array_equal(unique[inverse], keys):  # a hash collision: fall back to the exact sort
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    return unique, inverse.reshape(-1)
