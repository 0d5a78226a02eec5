"""unique_rows groups rows exactly like np.unique(axis=0), only faster."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mbctwin.course import rows
from mbctwin.course.rows import unique_rows

TABLES = st.integers(1, 6).flatmap(
    lambda width: arrays(np.int64, st.tuples(st.integers(0, 300), st.just(width)), elements=st.integers(-2, 3))
)


def _same_grouping(keys: np.ndarray) -> None:
    unique, inverse = unique_rows(keys)
    np.testing.assert_array_equal(unique[inverse], keys)  # every row maps to itself
    expected = np.unique(keys, axis=0) if keys.shape[0] else keys
    assert len(unique) == len(expected)  # and no two groups hold the same row
    np.testing.assert_array_equal(np.unique(unique, axis=0) if len(unique) else unique, expected)


@settings(max_examples=200, deadline=None)
@given(TABLES)
def test_same_groups_as_numpy(keys: np.ndarray) -> None:
    _same_grouping(keys)


def test_a_hash_collision_falls_back_to_the_exact_sort(monkeypatch) -> None:
    """With a zero multiplier only the last column is hashed: rows differing elsewhere collide."""
    monkeypatch.setattr(rows, "_MULTIPLIER", np.uint64(0))
    keys = np.array([[1, 5], [2, 5], [1, 5], [3, 7]], dtype=np.int64)
    _same_grouping(keys)
