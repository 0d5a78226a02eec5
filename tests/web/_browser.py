"""Skip (or, with CI=true, fail) when Debian's chromium or the playwright package is missing."""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest


def missing() -> str | None:
    if shutil.which("chromium") is None:
        return "Debian's chromium is not installed (apt-get install -y chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def require_browser() -> None:
    """Skip with the reason, except in CI where a missing browser is a failure."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)
