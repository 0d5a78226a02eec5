"""Cost of the cascade extensions: seconds per step with organs, lymphatics, receptors and treatments vs the core.

    python benchmarks/cascade_extensions.py [--steps 1000]

Core: the published defaults (3 grids of 201 x 201). Extended: the same core parameters with four
organ grids and a lymph-node grid (6 grids), ER/HER2 flags, a resistant fraction, continuous
endocrine and anti-HER2 therapy and a chemotherapy dose active the whole time (so every phase of
the extensions runs every step). Target: extended < 2 x core.
"""

from __future__ import annotations

import argparse
import time

from mbctwin.cascade import extensions as x
from mbctwin.cascade import model as m
from mbctwin.cascade.config import CascadeConfig


def core_seconds(cfg: CascadeConfig, steps: int) -> float:
    model = m.CascadeModel(cfg)
    run = model.start(1)
    start = time.perf_counter()
    for _ in range(steps):
        model.step(run)
    return (time.perf_counter() - start) / steps


def extended_seconds(ext: x.ExtendedConfig, steps: int) -> float:
    model = x.ExtendedCascadeModel(ext)
    run = model.start(1)
    start = time.perf_counter()
    for _ in range(steps):
        model.step(run)
    return (time.perf_counter() - start) / steps


def everything_on(core: CascadeConfig, steps: int) -> x.ExtendedConfig:
    therapies = (
        x.Therapy(kind="endocrine", inhibition=0.5),
        x.Therapy(kind="anti_her2", inhibition=0.5),
        x.Therapy(kind="chemotherapy", kill=0.1, exposure_steps=steps + 1, cycle_steps=steps + 1),
    )
    return x.ExtendedConfig(
        core=core,
        organs=x.default_organs(),
        lymphatics=x.Lymphatics(entry_prob=0.05),
        er_fraction=0.8,
        her2_fraction=0.3,
        resistant_fraction=0.1,
        therapies=therapies,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3, help="Best of N, interleaved (after a warm-up).")
    args = parser.parse_args()
    core = CascadeConfig()
    cases = {
        "core step": lambda: core_seconds(core, args.steps),
        "extended, nothing on": lambda: extended_seconds(x.ExtendedConfig(core=core), args.steps),
        "extended, all on": lambda: extended_seconds(everything_on(core, args.steps), args.steps),
    }
    core_seconds(core, 300)  # warm-up: imports, allocator, caches
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(args.repeats):
        for name, measure in cases.items():
            best[name] = min(best[name], measure())
    c = best["core step"]
    for name, seconds in best.items():
        print(f"{name:22s} {seconds * 1e3:7.3f} ms/step  ({seconds / c:.2f} x core)")
    print("target: extended < 2 x core")


if __name__ == "__main__":
    main()
