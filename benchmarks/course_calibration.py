"""Simulated vs published overall survival for the shipped in-silico trials.

Targets (shared spec course-targets.md §2): each arm's median OS within ±15 % of the
published one; the published OS HR inside the simulated 95 % CI with the estimate within 0.12.
Nothing here is tuned per trial: the structural parameters are shared (structure.yaml).
The checks are those of ``mbctwin.course.calibration`` (also ``mbc calibrate``, which adds
the metastatic-site targets and an HTML report); each trial runs with its own child seed.

    python benchmarks/course_calibration.py [--seed 1] [--scale 3] [--replicates 20]

With ``--replicates R`` every trial also runs R - 1 more times (children of its seed) and each target
is printed with the mean simulated value, judged by the same tolerance, and the runs that met it.
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
    parser.add_argument("--replicates", type=int, default=1, help="runs per trial (other seeds)")
    args = parser.parse_args()
    result = calibrate(scale=args.scale, seed=args.seed, sites=False, replicates=args.replicates)
    for trial in result.trials:
        print(line(trial))
    print(f"trials meeting every target: {sum(t.met for t in result.trials)}/{len(result.trials)}")
    if args.replicates > 1:
        for target in result.replicated():
            verdict = "met " if target.check.passed else "MISS"
            print(
                f"{verdict} mean {_cell(target.check):48s} runs met {target.runs_met}/{target.runs}"
                f"  {target.check.group} · {target.check.item}"
            )
        expected = sum(t.check.passed for t in result.replicated())
        print(f"expected values met: {expected}/{len(result.replicated())} over {result.runs_per_trial} runs per trial")


if __name__ == "__main__":
    main()
