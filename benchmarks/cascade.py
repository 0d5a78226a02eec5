"""Speed of the cascade simulator: seconds per step, per-phase profile, scaling.

    python benchmarks/cascade.py [--steps 1000] [--quick]

Prints seconds per step on the default configuration (3 grids of 201 x 201, 388 cells) and the
ratio to MetaSpread's ≈ 0.6 s per step (measured instead when ``metaspread`` is importable),
where the time goes by phase, and how a step scales with grid size and with the number of cells
(up to 10^6 cells: the initial disc enlarged and filled to capacity).
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import numpy as np

from mbctwin.cascade import model as m
from mbctwin.cascade.config import CascadeConfig

METASPREAD_SECONDS_PER_STEP = 0.6  # the spec's figure for this machine class (3 x 201 x 201 defaults)


def seconds_per_step(cfg: CascadeConfig, steps: int) -> float:
    model = m.CascadeModel(cfg)
    run = model.start(1)
    start = time.perf_counter()
    for _ in range(steps):
        model.step(run)
    return (time.perf_counter() - start) / steps


def profile(cfg: CascadeConfig, steps: int) -> dict[str, float]:
    """Mean seconds per step spent in each phase of the model's step, in its order."""
    model = m.CascadeModel(cfg)
    run = model.start(1)
    spent = dict.fromkeys(model.phase_names(), 0.0)
    for _ in range(steps):
        for name, phase in model.phases:
            start = time.perf_counter()
            phase(run)
            spent[name] += time.perf_counter() - start
        m.end_step(run)
    return {k: v / steps for k, v in spent.items()}


def metaspread_seconds_per_step() -> tuple[float, str]:
    if importlib.util.find_spec("metaspread") is None:
        return METASPREAD_SECONDS_PER_STEP, "MetaSpread not installed: the spec's ≈ 0.6 s/step"
    return float("nan"), "MetaSpread is importable here: run benchmarks/cascade_vs_metaspread.py to time it"


def scaling_grid(steps: int, sizes: list[int]) -> None:
    print("\nscaling with grid size (default cells):  size  points  s/step  s/step/point")
    for size in sizes:
        cfg = CascadeConfig(grid_size=size)
        t = seconds_per_step(cfg, steps)
        print(f"{'':40s}{size:5d} {3 * size**2:8d} {t:8.5f} {t / (3 * size**2):.2e}")


def scaling_cells(steps: int, counts: list[int]) -> None:
    print("\nscaling with cells (disc filled to Q = 4):  cells  grid  s/step  s/step/cell")
    for cells in counts:
        points = cells // 4
        size = int(2 * np.sqrt(points / np.pi * 2.0)) + 21
        cfg = CascadeConfig(
            grid_size=size, initial_points=points, initial_cells=cells, vessel_exclusion_points=2 * points
        )
        t = seconds_per_step(cfg, steps)
        print(f"{'':43s}{cells:8d} {size:5d} {t:8.4f} {t / cells:.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000, help="steps for the default-config timing")
    parser.add_argument("--quick", action="store_true", help="fewer steps and sizes (smoke test)")
    args = parser.parse_args()
    steps = 50 if args.quick else args.steps
    cfg = CascadeConfig()
    seconds_per_step(cfg, 20)  # warm-up
    ours = seconds_per_step(cfg, steps)
    theirs, note = metaspread_seconds_per_step()
    print(f"default config, {steps} steps: {ours * 1e3:.2f} ms/step; MetaSpread {theirs:.2f} s/step ({note})")
    print(f"speed ratio: {theirs / ours:.0f}x")
    print("\nper-phase profile (ms/step):", ", ".join(f"{k} {v * 1e3:.3f}" for k, v in profile(cfg, steps).items()))
    short = 20 if args.quick else 100
    scaling_grid(short, [101, 201] if args.quick else [101, 201, 401, 801])
    scaling_cells(max(short // 5, 5), [10_000, 100_000] if args.quick else [1_000, 10_000, 100_000, 1_000_000])


if __name__ == "__main__":
    main()
