"""Simulated vs published overall survival for the shipped in-silico trials.

Targets (shared spec course-targets.md §2): each arm's median OS within ±15 % of the
published one; the published OS HR inside the simulated 95 % CI with the estimate within 0.12.
Nothing here is tuned per trial: the structural parameters are shared (structure.yaml).
The checks are those of ``mbctwin.course.calibration`` (also ``mbc calibrate``, which adds
the metastatic-site targets and an HTML report); each trial runs with its own child seed.

    python benchmarks/course_calibration.py [--seed 1] [--scale 3]
"""

from __future__ import annotations

import argparse

from mbctwin.course.calibration import TargetCheck, TrialCalibration, calibrate


def _cell(check: TargetCheck) -> str:
    if check.kind == "os_hr":
        low, high = check.model_ci or (float("nan"), float("nan"))
        return f"HR {check.model:.2f} [{low:.2f}-{high:.2f}] vs {check.published}"
    error = f"{check.deviation:+.0%}" if check.deviation is not None else "not reached"
    return f"{check.model} vs {check.published} ({error})"


def line(trial: TrialCalibration) -> str:
    cells = " | ".join(_cell(c) for c in trial.checks)
    return f"{trial.name:28s} {'MET ' if trial.met else 'miss'} | {cells}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=3, help="patients per arm = published size x scale")
    args = parser.parse_args()
    result = calibrate(scale=args.scale, seed=args.seed, sites=False)
    for trial in result.trials:
        print(line(trial))
    print(f"targets met: {sum(t.met for t in result.trials)}/{len(result.trials)}")


if __name__ == "__main__":
    main()
