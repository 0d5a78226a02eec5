"""Results kept per object by identity, for inputs that have no hash (dicts, a knowledge base).

The knowledge base and its conditions are never changed once loaded, so what is built from them once
can serve every plan. Each entry holds its object as well as the result, so an id that Python reuses
for a later object never returns a stale result; the store is bounded, so objects made ad hoc (tests,
a service loading other knowledge bases) cannot pile up.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from functools import wraps
from typing import Any, ParamSpec, TypeVar

Key = TypeVar("Key")
Built = TypeVar("Built")
Args = ParamSpec("Args")


def kept_in(
    store: MutableMapping[Key, Built], key: Key, make: Callable[Args, Built], *args: Args.args, **kwargs: Args.kwargs
) -> Built:
    """``store[key]``, made by ``make(*args, **kwargs)`` the first time the key is met: the one way the
    engine keeps what a plan, a patient or a knowledge base has already worked out (nothing kept is None)."""
    found = store.get(key)
    if found is None:
        found = store[key] = make(*args, **kwargs)
    return found


def kept_by_identity(limit: int) -> Callable[[Callable[[Key], Built]], Callable[[Key], Built]]:
    """Decorate ``build(obj)`` so that it runs once per object (by identity) while at most ``limit``
    objects are kept; past the limit the store starts again empty."""

    def decorate(build: Callable[[Key], Built]) -> Callable[[Key], Built]:
        kept: dict[int, tuple[Any, Built]] = {}

        @wraps(build)
        def cached(obj: Key) -> Built:
            found = kept.get(id(obj))
            if found is None or found[0] is not obj:
                if len(kept) >= limit:
                    kept.clear()
                found = kept[id(obj)] = (obj, build(obj))
            return found[1]

        return cached

    return decorate
