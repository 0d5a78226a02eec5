"""Calibration: the simulator beside the public targets of shared spec ``course-targets.md``.

§2 — every shipped in-silico trial (``course/trials/*.yaml``; their ``published`` blocks are the
targets): each arm's simulated median overall survival within ±15 % of the published median, and
the published OS hazard ratio inside the simulated 95 % CI with the simulated estimate within 0.12
of it.

§3 — metastatic sites by subtype: the share of relapsed patients with bone, liver, lung and brain
metastases at any time within ±8 points of the published percentage (for HR+/HER2- within ±8
points of the band between the luminal A and luminal B values).

Nothing here tunes anything: it runs the model and compares. Trials (and site cohorts) are
independent tasks, each with its own child of ``SeedSequence(seed)``, so the results are the same
whether they run here or on Dask workers (``scheduler``).

One run of a trial at its published size is one draw of a noisy experiment: at 300 patients per
arm the 95 % CI of an OS hazard ratio spans about ±0.2, so even a model whose expected values
equal the published ones misses some of the 18 trial targets in most runs. ``replicates`` repeats
every trial with further child seeds and reports, per target, how many runs met it and whether
the model's *expected* value (the mean over runs) meets the tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np

from mbctwin._version import __version__
from mbctwin.course import survival
from mbctwin.course.params import CourseParams
from mbctwin.course.populations import SiteTargets, run_cohort
from mbctwin.course.trial import TrialReport, TrialSpec, run_trial
from mbctwin.knowledge.loader import KnowledgeBase, load_kb
from mbctwin.parallel import map_tasks
from mbctwin.seeds import recorded_seed

MEDIAN_TOLERANCE = 0.15  # relative, each arm's median OS
HR_TOLERANCE = 0.12  # absolute, simulated vs published OS hazard ratio
SITE_TOLERANCE = 8.0  # percentage points, site ever involved (site_targets.yaml may set its own)
MIN_PATIENTS_PER_ARM = 10
SITE_PATIENTS = 2000  # per subtype cohort at scale 1
SITE_PRESENTATION = "recurrent"  # the published cohort is of relapsed patients

TRIALS = Path(str(resources.files("mbctwin.course").joinpath("trials")))

Kind = Literal["os_median", "os_hr", "site_percent"]


@dataclass(frozen=True)
class TargetCheck:
    """One target: the model's value, the published one, what is accepted, and whether it passed.

    ``published`` is a number, or a ``(low, high)`` band; ``accepted`` is the range of model values
    that pass (for a hazard ratio the published value must also lie inside ``model_ci``);
    ``deviation`` is (model - published) / published (medians), model - published (hazard
    ratios), or points outside the band (sites, 0 inside it).
    """

    kind: Kind
    group: str  # trial or subtype
    item: str  # arm, "OS HR", or site
    model: float | None
    published: float | tuple[float, float]
    accepted: tuple[float, float]
    tolerance: str
    passed: bool
    deviation: float | None = None
    model_ci: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "group": self.group,
            "item": self.item,
            "model": _round(self.model),
            "model_ci95": None if self.model_ci is None else [_round(v) for v in self.model_ci],
            "published": list(self.published) if isinstance(self.published, tuple) else self.published,
            "accepted": [_round(v) for v in self.accepted],
            "tolerance": self.tolerance,
            "deviation": _round(self.deviation),
            "passed": self.passed,
        }


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def check_median(
    model: float | None,
    published: float,
    group: str = "",
    item: str = "",
    tolerance: float = MEDIAN_TOLERANCE,
    model_ci: tuple[float, float] | None = None,
) -> TargetCheck:
    """A simulated median OS (``None``: not reached) against the published one, ±``tolerance`` relative."""
    accepted = (published * (1 - tolerance), published * (1 + tolerance))
    deviation = None if model is None else (model - published) / published
    passed = deviation is not None and abs(deviation) <= tolerance + 1e-12
    return TargetCheck(
        "os_median", group, item, model, published, accepted, f"±{tolerance:.0%}", passed, deviation, model_ci
    )


def check_hazard_ratio(
    model: Sequence[float],
    published: float,
    group: str = "",
    item: str = "OS HR",
    tolerance: float = HR_TOLERANCE,
) -> TargetCheck:
    """A simulated ``(HR, lower 95 %, upper 95 %)``: the published HR inside the CI, the estimate within
    ``tolerance`` of it."""
    hr, low, high = (float(v) for v in model)
    deviation = hr - published
    passed = low <= published <= high and abs(deviation) <= tolerance + 1e-12
    accepted = (published - tolerance, published + tolerance)
    text = f"published in 95 % CI, ±{tolerance:g}"
    return TargetCheck("os_hr", group, item, hr, published, accepted, text, passed, deviation, (low, high))


def check_site(
    model: float,
    published: float | tuple[float, float],
    group: str = "",
    item: str = "",
    tolerance: float = SITE_TOLERANCE,
) -> TargetCheck:
    """A simulated site percentage against a published one, or a ``(low, high)`` band, ±``tolerance`` points."""
    low, high = published if isinstance(published, tuple) else (published, published)
    low, high = min(low, high), max(low, high)
    deviation = model - low if model < low else model - high if model > high else 0.0
    passed = abs(deviation) <= tolerance + 1e-12
    target = (low, high) if low != high else low
    accepted = (low - tolerance, high + tolerance)
    return TargetCheck(
        "site_percent", group, item, model, target, accepted, f"±{tolerance:g} points", passed, deviation
    )


def check_trial(
    report: TrialReport,
    median_cis: Sequence[tuple[float | None, float | None]] | None = None,
    tolerance: float = MEDIAN_TOLERANCE,
) -> list[TargetCheck]:
    """The §2 checks of one ``run_trial`` report against its ``published`` block (arms with no published median
    and a missing published HR are skipped); ``median_cis`` optionally adds each arm's 95 % CI to its check;
    ``tolerance`` is the relative median tolerance (0.20 for unseen trials)."""
    published = report.published
    medians = (published.os_median_months if published else None) or [None] * len(report.arms)
    checks = []
    for i, (arm, target) in enumerate(zip(report.arms, medians, strict=False)):
        if target is None:
            continue
        ci = median_cis[i] if median_cis else None
        model_ci = (ci[0] if ci[0] is not None else math.nan, ci[1] if ci[1] is not None else math.inf) if ci else None
        checks.append(check_median(arm.os_median_months, target, report.name, arm.name, tolerance, model_ci=model_ci))
    if published is not None and published.os_hr is not None:
        checks.append(check_hazard_ratio(report.os_hr, published.os_hr, report.name))
    return checks


@dataclass(frozen=True)
class TrialCalibration:
    """One trial run: its spec file, seed (``mbc trial SPEC --seed SEED`` at scale 1 gives the same run),
    ``run_trial`` report (per-patient outcomes kept for the headline run only) and checks."""

    name: str
    spec: str
    seed: int
    patients_per_arm: int
    report: TrialReport
    checks: tuple[TargetCheck, ...]
    source: str | None = None
    replicate: int = 0  # 0: the headline run; k > 0: the k-th further run (another seed)

    @property
    def met(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "spec": self.spec,
            "seed": self.seed,
            "patients_per_arm": self.patients_per_arm,
            "met": self.met,
            "report": self.report.to_dict(),
            "source": self.source,
        }


@dataclass(frozen=True)
class ReplicatedTarget:
    """One trial target over every replicate run: how often it was met, and the mean simulated value
    judged by the same tolerance (for a hazard ratio, the published value must lie between the mean
    lower and mean upper 95 % bounds)."""

    check: TargetCheck  # the mean over runs, checked as one run would be
    runs: int
    runs_met: int

    def to_dict(self) -> dict[str, Any]:
        return {**self.check.to_dict(), "runs": self.runs, "runs_met": self.runs_met}


def replicated_targets(runs: Sequence[TrialCalibration]) -> list[ReplicatedTarget]:
    """Each target of one trial over its replicate ``runs`` (same spec, different seeds)."""
    targets = []
    for i, first in enumerate(runs[0].checks):
        checks = [run.checks[i] for run in runs]
        values = [c.model for c in checks]
        met = sum(c.passed for c in checks)
        published = first.published
        if isinstance(published, tuple):
            raise TypeError(f"{first.group} {first.item}: a trial target is one published number, not a band")
        if first.kind == "os_hr":
            lows, highs = zip(*(c.model_ci or (None, None) for c in checks), strict=True)
            mean = check_hazard_ratio([_mean(values), _mean(lows), _mean(highs)], published, first.group, first.item)
        else:
            reached = None if any(v is None for v in values) else _mean(values)
            tolerance = first.accepted[1] / published - 1
            mean = check_median(reached, published, first.group, first.item, tolerance)
        targets.append(ReplicatedTarget(mean, len(checks), met))
    return targets


def _mean(values: Sequence[float | None]) -> float:
    return float(np.mean([v for v in values if v is not None]))


@dataclass(frozen=True)
class SiteCalibration:
    """One subtype's cohort: its site percentages and their checks."""

    subtype: str
    presentation: str
    patients: int
    seed: int
    site_ever_percent: dict[str, float]
    checks: tuple[TargetCheck, ...]
    source: str | None = None
    columns: tuple[str, ...] = ()

    @property
    def met(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subtype": self.subtype,
            "presentation": self.presentation,
            "patients": self.patients,
            "seed": self.seed,
            "met": self.met,
            "site_ever_percent": self.site_ever_percent,
            "source": self.source,
            "columns": list(self.columns),
        }


@dataclass(frozen=True)
class CalibrationResult:
    """Everything a calibration run compared, with what was run (version, seed, scale, date)."""

    version: str
    knowledge_base_version: str
    seed: int
    scale: float
    date: str
    trials: tuple[TrialCalibration, ...]
    sites: tuple[SiteCalibration, ...] = ()
    params_file: str | None = None
    site_tolerance: float = SITE_TOLERANCE
    replicates: tuple[TrialCalibration, ...] = ()  # further runs of the trials, other seeds

    @property
    def runs_per_trial(self) -> int:
        return 1 + len(self.replicates) // max(len(self.trials), 1)

    def replicated(self) -> list[ReplicatedTarget]:
        """Every trial target over the headline run and its replicates (empty without replicates)."""
        if not self.replicates:
            return []
        return [
            target
            for trial in self.trials
            for target in replicated_targets([trial, *(r for r in self.replicates if r.spec == trial.spec)])
        ]

    @property
    def checks(self) -> list[TargetCheck]:
        return [c for t in self.trials for c in t.checks] + [c for s in self.sites for c in s.checks]

    @property
    def missed(self) -> list[TargetCheck]:
        return [c for c in self.checks if not c.passed]

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.checks)

    @property
    def total(self) -> int:
        return len(self.checks)

    @property
    def all_met(self) -> bool:
        return not self.missed

    def counts(self) -> dict[str, int]:
        return {
            "targets": self.total,
            "targets_met": self.passed,
            "targets_missed": self.total - self.passed,
            "trials": len(self.trials),
            "trials_met": sum(t.met for t in self.trials),
            "subtypes": len(self.sites),
            "subtypes_met": sum(s.met for s in self.sites),
            "runs_per_trial": self.runs_per_trial,
            "expected_trial_targets_met": sum(t.check.passed for t in self.replicated()),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "knowledge_base_version": self.knowledge_base_version,
            "seed": self.seed,
            "scale": self.scale,
            "date": self.date,
            "params_file": self.params_file,
            "tolerances": {
                "os_median_relative": MEDIAN_TOLERANCE,
                "os_hr_absolute": HR_TOLERANCE,
                "site_percent_points": self.site_tolerance,
            },
            "counts": self.counts(),
            "targets": [c.to_dict() for c in self.checks],
            "trials": [t.to_dict() for t in self.trials],
            "replicated_targets": [t.to_dict() for t in self.replicated()],
            "sites": [s.to_dict() for s in self.sites],
        }


@dataclass(frozen=True)
class _TrialTask:
    spec: TrialSpec
    stem: str
    seed: int
    patients_per_arm: int
    params: CourseParams
    kb: KnowledgeBase | None
    replicate: int = 0


@dataclass(frozen=True)
class _SiteTask:
    subtype: str
    targets: dict[str, float | tuple[float, float]]
    tolerance: float
    seed: int
    patients: int
    params: CourseParams
    kb: KnowledgeBase | None
    source: str | None
    columns: tuple[str, ...]


def _run_trial_task(task: _TrialTask) -> TrialCalibration:
    spec = task.spec.model_copy(update={"patients_per_arm": task.patients_per_arm})
    report = run_trial(spec, seed=task.seed, params=task.params, kb=task.kb)
    median_cis = [survival.km_median(arm.os_months, arm.os_event)[1:] for arm in report.outcomes]
    checks = tuple(check_trial(report, median_cis))
    if task.replicate:  # survival curves are drawn from the headline run only
        report = replace(report, outcomes=())
    return TrialCalibration(
        spec.name, task.stem, task.seed, spec.patients_per_arm, report, checks, spec.source, task.replicate
    )


def _run_site_task(task: _SiteTask) -> SiteCalibration:
    summary = run_cohort(
        task.subtype, presentation=SITE_PRESENTATION, patients=task.patients, seed=task.seed,
        params=task.params, kb=task.kb,
    ).to_dict()  # fmt: skip
    percents = {site: float(summary["site_ever_percent"][site]) for site in task.targets}
    checks = tuple(
        check_site(percents[site], target, task.subtype, site, task.tolerance) for site, target in task.targets.items()
    )
    return SiteCalibration(
        task.subtype, SITE_PRESENTATION, task.patients, task.seed, percents, checks, task.source, task.columns
    )


def _run_task(task: _TrialTask | _SiteTask) -> TrialCalibration | SiteCalibration:
    return _run_trial_task(task) if isinstance(task, _TrialTask) else _run_site_task(task)


def shipped_trials() -> list[Path]:
    """The packaged in-silico trial specs, in file-name order."""
    return sorted(TRIALS.glob("*.yaml"))


def _child_seeds(root: np.random.SeedSequence, n: int) -> list[int]:
    return [int(child.generate_state(1)[0]) for child in root.spawn(n)]


def calibrate(
    scale: float = 1.0,
    seed: int | None = 1,
    params: CourseParams | str | Path | None = None,
    kb: KnowledgeBase | None = None,
    specs: Sequence[str | Path] | None = None,
    sites: bool | Sequence[str] = True,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    replicates: int = 1,
) -> CalibrationResult:
    """Run the trials (``specs``, default every shipped one) at ``scale`` times their published size, and the
    site cohorts (``sites``: all subtypes with targets, a list of subtypes, or ``False``), and check them.

    ``seed`` ``None`` draws fresh entropy (recorded in the result). Trial *i* runs with a seed from the
    *i*-th child of the trials' ``SeedSequence``; ``params`` is a parameter object or a YAML file of
    the shape of ``structure.yaml``; ``scheduler`` as in :func:`mbctwin.parallel.map_tasks`.
    ``replicates`` > 1 runs every trial that many times: the first run is the headline one (the same as
    with ``replicates=1``), the others take the children of its seed.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1, got {replicates}")
    params_file = str(params) if isinstance(params, str | Path) else None
    if not isinstance(params, CourseParams):
        params = CourseParams.from_file(params)
    loaded_kb = kb or load_kb()
    root = np.random.SeedSequence(seed)
    trial_root, site_root = root.spawn(2)
    paths = [Path(p) for p in specs] if specs is not None else shipped_trials()
    loaded = [TrialSpec.from_file(p) for p in paths]
    task_kb = kb if scheduler else loaded_kb  # workers load the packaged knowledge base themselves
    tasks: list[_TrialTask | _SiteTask] = []
    for s, p, child in zip(loaded, paths, _child_seeds(trial_root, len(loaded)), strict=True):
        seeds = [child, *_child_seeds(np.random.SeedSequence(child), replicates - 1)]
        size = max(MIN_PATIENTS_PER_ARM, round(s.patients_per_arm * scale))
        tasks += [_TrialTask(s, p.stem, run_seed, size, params, task_kb, r) for r, run_seed in enumerate(seeds)]
    site_tolerance = SITE_TOLERANCE
    if sites:
        targets = SiteTargets.from_file()
        site_tolerance = targets.tolerance_points
        table = targets.published()
        chosen = list(table) if sites is True else list(sites)
        unknown = [s for s in chosen if s not in table]
        if unknown:
            raise ValueError(f"no site targets for subtype(s) {unknown}; known: {sorted(table)}")
        source = loaded_kb.sources[targets.source].citation if targets.source in loaded_kb.sources else targets.source
        patients = max(100, round(SITE_PATIENTS * scale))
        for subtype, child in zip(chosen, _child_seeds(site_root, len(chosen)), strict=True):
            columns = tuple(targets.subtypes[subtype].columns)
            tasks.append(
                _SiteTask(
                    subtype, table[subtype], targets.tolerance_points, child, patients, params, task_kb, source, columns
                )
            )
    done = map_tasks(_run_task, tasks, scheduler=scheduler, progress=progress)
    return CalibrationResult(
        version=__version__,
        knowledge_base_version=loaded_kb.version,
        seed=recorded_seed(root),
        scale=scale,
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        trials=tuple(r for r in done if isinstance(r, TrialCalibration) and r.replicate == 0),
        replicates=tuple(r for r in done if isinstance(r, TrialCalibration) and r.replicate > 0),
        sites=tuple(r for r in done if isinstance(r, SiteCalibration)),
        params_file=params_file,
        site_tolerance=site_tolerance,
    )
