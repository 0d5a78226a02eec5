"""Patient-course simulator speed and memory (issue #4 target: 10^6 patients x 10 years < 60 s, < 4 GB).

Prints patient-years per second and peak memory for the vectorised model with the engine
policy, and the ratio to a naive baseline in the same run: the same model driven one patient
at a time (a Python loop over patients, each paying its own engine decisions).

    python benchmarks/course.py [--patients 1000000] [--years 10] [--naive 200]
"""

from __future__ import annotations

import argparse
import resource
import time

from mbctwin.case.io import example_case
from mbctwin.course.cohort import from_case
from mbctwin.course.model import CourseModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--naive", type=int, default=200, help="patients for the one-at-a-time baseline")
    parser.add_argument("--case", default="hr-positive-first-line")
    args = parser.parse_args()
    model = CourseModel()
    case = example_case(args.case)
    model.simulate(from_case(case, 2048), years=args.years, seed=0)  # imports, knowledge base, caches
    start = time.perf_counter()
    result = model.simulate(from_case(case, args.patients), years=args.years, seed=1)
    seconds = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    per_patient = seconds / args.patients
    start = time.perf_counter()
    for i in range(args.naive):
        CourseModel(params=model.params, kb=model.kb).simulate(from_case(case, 1), years=args.years, seed=i)
    naive_per_patient = (time.perf_counter() - start) / args.naive
    print(f"case {args.case}: {args.patients:,} patients x {args.years:g} years, policy engine")
    print(
        f"vectorised: {seconds:.1f} s, {args.patients * args.years / seconds:,.0f} patient-years/s, "
        f"peak RSS {peak_gb:.2f} GB, {len(result.lines):,} line records"
    )
    print(
        f"naive one-patient-at-a-time: {naive_per_patient * 1e3:.1f} ms/patient "
        f"-> ratio naive/vectorised = {naive_per_patient / per_patient:,.0f}x"
    )
    print("target (<60 s, <4 GB):", "met" if seconds < 60 and peak_gb < 4 else "MISSED")


if __name__ == "__main__":
    main()
