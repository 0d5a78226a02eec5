"""Reading the package's own YAML data fast: the C loader, and a cache of parsed files as JSON.

The knowledge base and the vocabulary are read at every start of ``mbc``. Parsing their YAML is
most of that time, so a parsed file is kept as JSON under a name that is the BLAKE2 hash of the
file's text: any change to a data file gives a new name, and a stale entry is never read. An entry
that cannot be read is parsed again; a cache folder that cannot be written is simply not used.
Only files whose parsed content survives the JSON round trip unchanged are cached (YAML dates or
non-string keys would not), and YAML anchors are expanded in the cached copy, which leaves the
values the same. Validation (pydantic) always runs on what is read, cached or not.

The cache lives in the user's cache folder (``platformdirs``), or ``MBCTWIN_CACHE_DIR``; setting
``MBCTWIN_CACHE_DIR`` to an empty string turns it off. This is for trusted package data only:
user input (cases, specs) goes through the plain safe loader with its own limits.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CACHE_ENV = "MBCTWIN_CACHE_DIR"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


def parse_yaml(text: str) -> Any:
    """``yaml.safe_load`` with libyaml's C parser when available (same results, several times faster).

    Examples
    --------
    >>> parse_yaml("a: &x [1, 2]\\nb: *x")
    {'a': [1, 2], 'b': [1, 2]}
    """
    return yaml.load(text, Loader=_LOADER)


def read_data(text: str) -> Any:
    """The parsed ``text`` of a package data file, from the cache when an entry for this exact text exists."""
    folder = cache_folder()
    if folder is None:
        return parse_yaml(text)
    entry = folder / f"{hashlib.blake2b(text.encode('utf-8'), digest_size=20).hexdigest()}.json"
    try:
        return json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    parsed = parse_yaml(text)
    _store(entry, parsed)
    return parsed


@cache
def cache_folder() -> Path | None:
    """Where parsed data files are kept (``None``: caching is off)."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return Path(configured) if configured else None
    from platformdirs import user_cache_path

    return user_cache_path("mbctwin") / "data"


def _store(entry: Path, parsed: Any) -> None:
    """Write ``parsed`` as JSON if it round-trips exactly; atomic (temporary file, then rename)."""
    try:
        text = json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return  # a YAML type JSON lacks (dates, ...): not cached
    if json.loads(text) != parsed:
        return  # non-string keys or tuples would come back changed
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=entry.parent, delete=False) as handle:
            handle.write(text)
        os.replace(handle.name, entry)
    except OSError:
        return  # an unwritable cache folder only costs speed
