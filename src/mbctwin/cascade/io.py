"""Run folders: compressed NPZ frames, a Parquet event table, config.json, seed and stats.json.

Layout of a run folder::

    config.json   the CascadeConfig      seed.txt      the seed (SeedSequence entropy)
    stats.json    {"records": [...]}     events.parquet  one row per cluster event
    frames/step_000100.npz  cells (grid, x, y, mesenchymal), m and w (float32), vessels
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from mbctwin.cascade.config import CascadeConfig
from mbctwin.cascade.model import CascadeResult
from mbctwin.cascade.state import Snapshot

EVENT_COLUMNS = (
    "step",
    "kind",
    "cluster_id",
    "grid",
    "vessel_x",
    "vessel_y",
    "n_mesenchymal",
    "n_epithelial",
    "n_lost",
)


def frame_saver(out: Path) -> Any:
    """A callback for ``CascadeModel.run(on_save=...)`` writing one NPZ per saved step."""
    frames = out / "frames"
    frames.mkdir(parents=True, exist_ok=True)

    def save(snap: Snapshot) -> None:
        c, v = snap.cells, snap.vessels
        np.savez_compressed(
            frames / f"step_{snap.step:07d}.npz",
            step=snap.step,
            cell_grid=c.grid,
            cell_x=c.x,
            cell_y=c.y,
            cell_mesenchymal=c.mesenchymal,
            m=snap.m.astype(np.float32),
            w=snap.w.astype(np.float32),
            vessel_grid=v.grid,
            vessel_x=v.x,
            vessel_y=v.y,
            vessel_ruptured=v.ruptured,
        )

    return save


def write_run(out: Path, result: CascadeResult) -> None:
    """Config, seed, statistics and the event table (frames are written during the run)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(result.config.model_dump_json(indent=2), encoding="utf-8")
    (out / "seed.txt").write_text(f"{result.seed}\n", encoding="utf-8")
    (out / "stats.json").write_text(json.dumps({"records": result.records}, indent=1), encoding="utf-8")
    columns = {k: [e[k] for e in result.events] for k in EVENT_COLUMNS}
    schema = pa.schema([(k, pa.string() if k == "kind" else pa.int64()) for k in EVENT_COLUMNS])
    pq.write_table(pa.table(columns, schema=schema), out / "events.parquet", compression="zstd")


def read_records(run_dir: Path) -> list[dict[str, Any]]:
    return json.loads((run_dir / "stats.json").read_text(encoding="utf-8"))["records"]


def read_config(run_dir: Path) -> CascadeConfig:
    return CascadeConfig.from_file(run_dir / "config.json")


def frame_paths(run_dir: Path) -> list[Path]:
    return sorted((run_dir / "frames").glob("step_*.npz"))


def read_frame(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {k: data[k] for k in data.files}
