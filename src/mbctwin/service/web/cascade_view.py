"""Stored cascade runs for the viewer: list them, and render a frame or the statistics as PNG.

A run is a folder written by ``mbc cascade run --out RUNS/NAME``; the service reads the folder
named by ``Settings.cascade_runs``. Frames are rendered on demand and the PNG bytes kept in a small
in-memory cache per process, so scrubbing back and forth does not re-render.
"""

from __future__ import annotations

import io as bytes_io
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from mbctwin.cascade import io, plot

RUN_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
# MMP-2 heat map: white (0) to dark red (the frame's maximum), so the fields of two frames of one run
# are comparable only through the printed maximum — said on the page.
LOW, HIGH = np.array([255, 255, 255]), np.array([128, 0, 38])


@dataclass(frozen=True)
class RunSummary:
    name: str
    frames: list[int]  # saved steps
    last: dict[str, Any]  # statistics of the last saved step


def runs(root: Path) -> list[RunSummary]:
    """Every run folder under ``root`` (newest first); folders that are not runs are skipped."""
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and (p / "stats.json").is_file() and RUN_NAME.match(p.name)]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [summary(p) for p in found]


def run_dir(root: Path, name: str) -> Path | None:
    """The folder of a run, or ``None`` when the name is malformed or not a run (no path escapes)."""
    if not RUN_NAME.match(name) or name in {".", ".."}:
        return None
    folder = root / name
    return folder if (folder / "stats.json").is_file() else None


def summary(folder: Path) -> RunSummary:
    records = io.read_records(folder)
    steps = [int(p.stem.removeprefix("step_")) for p in io.frame_paths(folder)]
    return RunSummary(folder.name, steps, records[-1] if records else {})


@lru_cache(maxsize=64)
def frame_png(folder: Path, index: int) -> bytes:
    """All grids of saved frame ``index``: ECM background, cells by phenotype, vessels."""
    paths = io.frame_paths(folder)
    if not 0 <= index < len(paths):
        raise IndexError(index)
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "frame.png"
        plot.frame_png(io.read_frame(paths[index]), target)
        return target.read_bytes()


@lru_cache(maxsize=64)
def mmp2_png(folder: Path, index: int, size: int = 320) -> tuple[bytes, float]:
    """The primary grid's MMP-2 field as a heat map (Pillow, no plotting library), and its maximum."""
    from PIL import Image

    paths = io.frame_paths(folder)
    if not 0 <= index < len(paths):
        raise IndexError(index)
    m = io.read_frame(paths[index])["m"][0].T[::-1]  # y up, like the frame plots
    top = float(m.max())
    share = (m / top if top > 0 else np.zeros_like(m))[..., None]
    pixels = (LOW + (HIGH - LOW) * share).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB").resize((size, size), Image.Resampling.NEAREST)
    buffer = bytes_io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue(), top


@lru_cache(maxsize=16)
def series_png(folder: Path) -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "series.png"
        plot.series_png(io.read_records(folder), target)
        return target.read_bytes()
