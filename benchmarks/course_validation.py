"""Held-out validation: simulated vs published overall survival for trials the simulator was not calibrated on.

The specs in ``benchmarks/validation_trials/`` (format of shared spec course-targets.md §1, each with a
``published`` block) are run at their published size with the checks of ``mbctwin.course.calibration``,
at the tolerance for unseen trials (§2): each arm's median OS within ±20 % of the published median,
the published OS HR inside the simulated 95 % CI and the simulated HR within 0.12 of it. Each trial
runs with its own child of ``SeedSequence(seed)`` (as in ``mbc calibrate``); ``--seeds N`` repeats
the whole set with seeds ``seed .. seed+N-1`` and adds a per-trial summary over the seeds. First-line
PFS is printed beside OS as a diagnostic (not a target): it shows whether a miss starts in the
regimen's own PFS or after progression.

    python benchmarks/course_validation.py [--seed 1] [--seeds 3] [--scale 1] [--tolerance 0.20]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

from mbctwin.course import survival
from mbctwin.course.calibration import HR_TOLERANCE, TargetCheck, TrialCalibration, calibrate, check_trial

UNSEEN_TOLERANCE = 0.20
SPECS = Path(__file__).resolve().parent / "validation_trials"


def checks_for(trial: TrialCalibration, tolerance: float) -> list[TargetCheck]:
    """The calibration checks of one run, recomputed at the unseen-trial median tolerance."""
    median_cis = [survival.km_median(arm.os_months, arm.os_event)[1:] for arm in trial.report.outcomes]
    return check_trial(trial.report, median_cis, tolerance=tolerance)


def _num(value: float | None, digits: int = 1) -> str:
    return "NR" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _pair(values: list[float | None]) -> str:
    return "/".join(_num(v) for v in values)


def line(trial: TrialCalibration, checks: list[TargetCheck]) -> str:
    report = trial.report.to_dict()
    published = report.get("published") or {}
    os_sim = [arm["os_median_months"] for arm in report["arms"]]
    pfs_sim = [arm["pfs_median_months"] for arm in report["arms"]]
    deviations = " ".join(
        f"{c.deviation:+.0%}" if c.deviation is not None else "NR" for c in checks if c.kind == "os_median"
    )
    hr, low, high = report["os_hr"]
    status = "MET " if all(c.passed for c in checks) else "miss"
    os_published = _pair(published.get("os_median_months", []))
    pfs_published = _pair(published.get("pfs_median_months", []))
    calendar = report.get("calendar") or {}
    crossover = calendar.get("controls_given_investigational_percent")
    return (
        f"{trial.name:32s} {status} | OS {_pair(os_sim)} vs {os_published} ({deviations})"
        f" | HR {hr:.2f} [{low:.2f}-{high:.2f}] vs {published.get('os_hr', float('nan')):.2f}"
        f" | PFS {_pair(pfs_sim)} vs {pfs_published}"
        f" HR {report['pfs_hr'][0]:.2f} vs {published.get('pfs_hr', float('nan')):.2f}"
        f" | {sum(c.passed for c in checks)}/{len(checks)}"
        f" | crossover {'-' if crossover is None else f'{crossover:g} %'} | mbc trial --seed {trial.seed}"
    )


def summary(runs: list[list[tuple[TrialCalibration, list[TargetCheck]]]]) -> list[str]:
    """Per trial, over seeds: mean simulated OS medians (deviation from published), mean HR, trials met."""
    rows = []
    for index, (first, _) in enumerate(runs[0]):
        per_seed = [run[index] for run in runs]
        published = first.report.to_dict().get("published") or {}
        arms = len(first.report.arms)
        cells = []
        for a in range(arms):
            values = [t.report.arms[a].os_median_months for t, _ in per_seed]
            reached = [v for v in values if v is not None]
            target = (published.get("os_median_months") or [None] * arms)[a]
            mean = statistics.fmean(reached) if reached else None
            dev = f"{(mean - target) / target:+.0%}" if mean is not None and target else "NR"
            missing = f" ({len(values) - len(reached)} NR)" if len(reached) < len(values) else ""
            cells.append(f"{_num(mean)} vs {_num(target)} ({dev}){missing}")
        hrs = [t.report.os_hr[0] for t, _ in per_seed]
        hr_mean = statistics.fmean(hrs)
        target_hr = published.get("os_hr")
        hr_text = f"HR {hr_mean:.2f}"
        if target_hr:
            hr_text += f" vs {target_hr:.2f} ({hr_mean - target_hr:+.2f})"
        met = sum(all(c.passed for c in checks) for _, checks in per_seed)
        passed = sum(sum(c.passed for c in checks) for _, checks in per_seed)
        total = sum(len(checks) for _, checks in per_seed)
        counts = f"trial met {met}/{len(per_seed)} seeds, targets {passed}/{total}"
        rows.append(f"{first.name:32s} {' | '.join(cells)} | {hr_text} | {counts}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1, help="first root seed (default 1)")
    parser.add_argument("--seeds", type=int, default=1, help="repeat with seeds seed .. seed+N-1 (default 1)")
    parser.add_argument("--scale", type=float, default=1, help="patients per arm = spec size x scale (default 1)")
    parser.add_argument("--tolerance", type=float, default=UNSEEN_TOLERANCE, help="relative median tolerance")
    parser.add_argument("--specs", type=Path, default=SPECS, help="folder of trial specs")
    parser.add_argument("--scheduler", default=None, help="as for mbc calibrate (default: in process)")
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    paths = sorted(args.specs.glob("*.yaml"))
    if not paths:
        parser.error(f"no *.yaml specs in {args.specs}")
    print(
        f"{len(paths)} held-out trials, medians ±{args.tolerance:.0%}, HR in 95 % CI and within {HR_TOLERANCE:g};"
        f" OS / PFS medians as experimental/control (months)"
    )
    runs = []
    targets_met = targets = trials_met = trials = 0
    for seed in range(args.seed, args.seed + args.seeds):
        start = time.perf_counter()
        result = calibrate(scale=args.scale, seed=seed, specs=paths, sites=False, scheduler=args.scheduler)
        run = [(trial, checks_for(trial, args.tolerance)) for trial in result.trials]
        runs.append(run)
        print(f"\nseed {seed} ({time.perf_counter() - start:.0f} s)")
        for trial, checks in run:
            print(line(trial, checks))
        met = sum(all(c.passed for c in checks) for _, checks in run)
        passed = sum(sum(c.passed for c in checks) for _, checks in run)
        total = sum(len(checks) for _, checks in run)
        print(f"targets met: {passed}/{total} (trials met: {met}/{len(run)})")
        targets_met, targets = targets_met + passed, targets + total
        trials_met, trials = trials_met + met, trials + len(run)
    if args.seeds > 1:
        print(f"\nover {args.seeds} seeds: mean simulated vs published OS (experimental | control), mean OS HR")
        for row in summary(runs):
            print(row)
    print(f"\ntargets met: {targets_met}/{targets} (trials met: {trials_met}/{trials} trial x seed runs)")


if __name__ == "__main__":
    main()
