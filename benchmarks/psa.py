"""Probabilistic sensitivity analysis speed: draws per second serially and on a local Dask cluster.

Runs the same PSA (same seed) in this process and with ``scheduler="dask"`` (a local cluster with
one worker per core, at most 8), checks that both give the same table, and prints draws/s and
the ratio of the Dask wall time to the serial one (cluster start-up included, and measured on
its own).

    python benchmarks/psa.py [--draws 40] [--patients 1000] [--years 10] [--case hr-positive-first-line]
"""

from __future__ import annotations

import argparse
import os
import time

from mbctwin.case.io import example_case
from mbctwin.course.params import CourseParams
from mbctwin.course.psa import Uncertainty, run_psa
from mbctwin.knowledge.loader import load_kb
from mbctwin.parallel import map_tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=40)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--case", default="hr-positive-first-line")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    case, uncertainty = example_case(args.case), Uncertainty.from_file()
    common = {"years": args.years, "seed": args.seed, "kb": load_kb(), "params": CourseParams.from_file()}
    run_psa(case, draws=1, patients=50, uncertainty=uncertainty, **common)  # imports and caches
    common["patients"] = args.patients
    start = time.perf_counter()
    serial = run_psa(case, draws=args.draws, uncertainty=uncertainty, **common)
    serial_s = time.perf_counter() - start
    start = time.perf_counter()
    map_tasks(abs, [1], scheduler="dask")
    startup_s = time.perf_counter() - start
    start = time.perf_counter()
    parallel = run_psa(case, draws=args.draws, uncertainty=uncertainty, scheduler="dask", **common)
    dask_s = time.perf_counter() - start
    workers = max(1, min(os.cpu_count() or 1, 8))
    print(f"case {args.case}: {args.draws} draws x {args.patients:,} patients x {args.years:g} years, policy engine")
    print(f"serial: {serial_s:.1f} s, {args.draws / serial_s:.2f} draws/s")
    print(
        f"dask ({workers} workers): {dask_s:.1f} s, {args.draws / dask_s:.2f} draws/s "
        f"(cluster start-up alone {startup_s:.1f} s)"
    )
    print(f"ratio dask/serial wall time = {dask_s / serial_s:.2f} (speed-up {serial_s / dask_s:.2f}x)")
    print("identical tables:", serial.table.equals(parallel.table))


if __name__ == "__main__":
    main()
