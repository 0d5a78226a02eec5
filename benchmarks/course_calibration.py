"""Simulated vs published overall survival for the shipped in-silico trials.

Targets (shared spec course-targets.md §2): each arm's median OS within ±15 % of the
published one; the published OS HR inside the simulated 95 % CI with the estimate within 0.12.
Nothing here is tuned per trial: the structural parameters are shared (structure.yaml).

    python benchmarks/course_calibration.py [--seed 1] [--scale 3]
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from mbctwin.course.trial import TrialSpec, run_trial


def check(report: dict) -> tuple[list[str], bool]:
    published = report["published"]
    cells, ok = [], True
    for arm, target in zip(report["arms"], published["os_median_months"], strict=True):
        error = (arm["os_median_months"] - target) / target if arm["os_median_months"] else float("nan")
        ok &= abs(error) <= 0.15
        cells.append(f"{arm['os_median_months']} vs {target} ({error:+.0%})")
    hr, low, high = report["os_hr"]
    hr_ok = low <= published["os_hr"] <= high and abs(hr - published["os_hr"]) <= 0.12
    cells.append(f"HR {hr:.2f} [{low:.2f}-{high:.2f}] vs {published['os_hr']}")
    return cells, ok and hr_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=int, default=3, help="patients per arm = published size x scale")
    args = parser.parse_args()
    folder = Path(str(resources.files("mbctwin.course").joinpath("trials")))
    met = 0
    specs = sorted(folder.glob("*.yaml"))
    for path in specs:
        spec = TrialSpec.from_file(path)
        spec = spec.model_copy(update={"patients_per_arm": spec.patients_per_arm * args.scale})
        cells, ok = check(run_trial(spec, seed=args.seed))
        met += ok
        print(f"{spec.name:28s} {'MET ' if ok else 'miss'} | " + " | ".join(cells))
    print(f"targets met: {met}/{len(specs)}")


if __name__ == "__main__":
    main()
