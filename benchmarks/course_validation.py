"""Validation on trials the simulator was not calibrated on: simulated vs published overall survival.

Two folders of specs (format of shared spec course-targets.md §1, each with a ``published`` block):
``validation_trials/`` (held out from the public targets; two structural assumptions were chosen on
them jointly with the public trials, docs/course.md says which) and ``unseen_trials/`` (written from
publications the knowledge base does not hold and never run while choosing any parameter: a blind
check). Every trial runs ``--runs`` times at its published size, each run with its own seed (children
of ``SeedSequence(seed)``, as ``mbc calibrate --replicates``), and is judged on the **mean** over the
runs, at the tolerance for unseen trials (§2):

* each arm: the mean simulated median OS within ±20 % of the published median (a run whose median is
  not reached makes the mean undefined: a miss);
* each trial with a published OS hazard ratio (the HR rule): the published HR inside the simulated 95 %
  CI (mean lower and upper bounds over the runs) and the mean simulated HR within 0.12 of it.

It prints, per trial, the mean simulated medians and HR against the published ones, the runs meeting
each target, and per folder and overall the share of arms within 20 % and of trials meeting the HR
rule. First-line PFS (mean) is printed as a diagnostic, not a target.

    python benchmarks/course_validation.py [--runs 5] [--seed 1] [--scale 1] [--folders validation_trials ...]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from dataclasses import dataclass, replace
from pathlib import Path

from mbctwin.course import survival
from mbctwin.course.calibration import (
    HR_TOLERANCE,
    ReplicatedTarget,
    TargetCheck,
    TrialCalibration,
    calibrate,
    check_trial,
    replicated_targets,
)

UNSEEN_TOLERANCE = 0.20
HERE = Path(__file__).resolve().parent
FOLDERS = ("validation_trials", "unseen_trials")


def checks_for(trial: TrialCalibration, tolerance: float) -> list[TargetCheck]:
    """The calibration checks of one run, recomputed at the unseen-trial median tolerance."""
    outcomes = trial.report.outcomes
    median_cis = [survival.km_median(arm.os_months, arm.os_event)[1:] for arm in outcomes] if outcomes else None
    return check_trial(trial.report, median_cis, tolerance=tolerance)


@dataclass(frozen=True)
class TrialVerdict:
    """One trial over its runs: mean first-line PFS (diagnostic) and the judged mean targets."""

    name: str
    runs: tuple[TrialCalibration, ...]
    targets: tuple[ReplicatedTarget, ...]

    @property
    def arms(self) -> list[ReplicatedTarget]:
        return [t for t in self.targets if t.check.kind == "os_median"]

    @property
    def hazard_ratio(self) -> ReplicatedTarget | None:
        return next((t for t in self.targets if t.check.kind == "os_hr"), None)

    def mean_pfs(self) -> list[float | None]:
        arms = len(self.runs[0].report.arms)
        values = [[run.report.arms[a].pfs_median_months for run in self.runs] for a in range(arms)]
        return [statistics.fmean(v) if None not in v else None for v in values]


def verdicts(trials: list[TrialCalibration], tolerance: float) -> list[TrialVerdict]:
    """Group the runs by spec (headline run first) and judge each trial's means."""
    by_spec: dict[str, list[TrialCalibration]] = {}
    for trial in trials:
        by_spec.setdefault(trial.spec, []).append(replace(trial, checks=tuple(checks_for(trial, tolerance))))
    return [
        TrialVerdict(runs[0].name, tuple(runs), tuple(replicated_targets(runs)))
        for runs in (sorted(r, key=lambda t: t.replicate) for r in by_spec.values())
    ]


def _num(value: float | None, digits: int = 1) -> str:
    return "NR" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def row(verdict: TrialVerdict) -> str:
    arms = " | ".join(
        f"{_num(t.check.model)} vs {_num(float(t.check.published))}"
        f" ({'NR' if t.check.deviation is None else f'{t.check.deviation:+.0%}'}, {t.runs_met}/{t.runs})"
        for t in verdict.arms
    )
    hr = verdict.hazard_ratio
    hr_text = "HR not published"
    if hr is not None:
        low, high = hr.check.model_ci or (math.nan, math.nan)
        status = "met" if hr.check.passed else "MISS"
        hr_text = (
            f"HR {hr.check.model:.2f} [{low:.2f}-{high:.2f}] vs {float(hr.check.published):.2f} {status}"
            f" ({hr.runs_met}/{hr.runs})"
        )
    pfs = "/".join(_num(v) for v in verdict.mean_pfs())
    return f"{verdict.name:34s} OS {arms} | {hr_text} | PFS {pfs}"


def shares(group: list[TrialVerdict]) -> tuple[int, int, int, int]:
    """(arms within tolerance, arms, trials meeting the HR rule, trials with a published HR)."""
    arms = [t for v in group for t in v.arms]
    hrs = [v.hazard_ratio for v in group if v.hazard_ratio is not None]
    return sum(t.check.passed for t in arms), len(arms), sum(t.check.passed for t in hrs), len(hrs)


def _share(met: int, total: int) -> str:
    return f"{met}/{total} ({met / total:.0%})" if total else "0/0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1, help="root seed (default 1)")
    parser.add_argument("--runs", type=int, default=5, help="runs per trial, each its own seed (default 5)")
    parser.add_argument("--scale", type=float, default=1, help="patients per arm = spec size x scale (default 1)")
    parser.add_argument("--tolerance", type=float, default=UNSEEN_TOLERANCE, help="relative median tolerance")
    parser.add_argument("--folders", nargs="+", default=list(FOLDERS), help="spec folders (relative to benchmarks/)")
    parser.add_argument("--scheduler", default=None, help="as for mbc calibrate (default: in process)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    totals = [0, 0, 0, 0]
    print(
        f"means over {args.runs} runs per trial; medians ±{args.tolerance:.0%}, published HR inside the mean 95 % CI"
        f" and the mean HR within {HR_TOLERANCE:g}; OS in months (deviation, runs met)"
    )
    for folder in args.folders:
        paths = sorted((HERE / folder).glob("*.yaml"))
        if not paths:
            parser.error(f"no *.yaml specs in {HERE / folder}")
        start = time.perf_counter()
        result = calibrate(
            scale=args.scale, seed=args.seed, specs=paths, sites=False, scheduler=args.scheduler, replicates=args.runs
        )
        group = verdicts([*result.trials, *result.replicates], args.tolerance)
        print(f"\n{folder} ({len(group)} trials, {time.perf_counter() - start:.0f} s)")
        for verdict in group:
            print(row(verdict))
        counts = shares(group)
        print(f"{folder}: arms within {args.tolerance:.0%}: {_share(*counts[:2])}; HR rule: {_share(*counts[2:])}")
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    arms, hrs = _share(*totals[:2]), _share(*totals[2:])
    print(f"\nall: arms within {args.tolerance:.0%}: {arms}; trials meeting the HR rule: {hrs}")


if __name__ == "__main__":
    main()
