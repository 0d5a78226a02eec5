"""Small configurations that keep the cascade tests fast."""

from __future__ import annotations

from typing import Any

from mbctwin.cascade.config import CascadeConfig

SMALL: dict[str, Any] = {"grid_size": 11, "initial_points": 9, "initial_cells": 36, "vessel_exclusion_points": 9}


def small(**changes: Any) -> CascadeConfig:
    """An 11 x 11 configuration with a 9-point tumour; published values otherwise."""
    return CascadeConfig(**(SMALL | changes))
