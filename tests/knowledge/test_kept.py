"""Results kept by identity: built once per object, never for an equal but different one, bounded."""

from __future__ import annotations

from mbctwin.knowledge.kept import kept_by_identity, kept_in


def test_built_once_per_object_and_not_shared_between_equal_objects() -> None:
    built: list[int] = []

    @kept_by_identity(limit=4)
    def size(values: dict[str, int]) -> int:
        built.append(id(values))
        return len(values)

    first, twin = {"a": 1}, {"a": 1}
    assert [size(first), size(first), size(twin)] == [1, 1, 1]
    assert built == [id(first), id(twin)]


def test_past_the_limit_the_store_starts_again() -> None:
    built: list[int] = []

    @kept_by_identity(limit=2)
    def ident(values: list[int]) -> int:
        built.append(id(values))
        return id(values)

    objects = [[n] for n in range(3)]
    for obj in objects:
        ident(obj)
    ident(objects[0])  # dropped when the third one arrived, so built again
    assert len(built) == 4


def test_kept_in_makes_a_value_once_per_key_and_returns_the_kept_one() -> None:
    made: list[tuple[int, str]] = []

    def make(number: int, *, label: str) -> list[int]:
        made.append((number, label))
        return [number]

    store: dict[str, list[int]] = {}
    first = kept_in(store, "a", make, 1, label="x")
    again = kept_in(store, "a", make, 2, label="y")
    other = kept_in(store, "b", make, 3, label="z")
    assert first is again
    assert first == [1]
    assert other == [3]
    assert made == [(1, "x"), (3, "z")]
