"""Fit the per-progression site probabilities (site tropism) to the published site targets.

Target (shared spec course-targets.md §3): a recurrent cohort of each subtype
(`mbc cohort --subtype X --presentation recurrent`) reports, for bone, liver, lung and brain, the
share of patients with the site at any time within ±8 points of Kaplan 2016
(knowledge/data/course/site_targets.yaml; HR+/HER2- between the luminal A and B columns).

Model: a patient starts with the sites drawn from the cohort definition (cohorts.yaml) and, at each
progression she survives, acquires each absent site with probability q[subtype][site]
(`new_site_probability` in structure.yaml). Given the start sites s_i and the number of such
progressions N_i of every patient, the share ever involved is mean_i 1 - (1 - s_i)(1 - q)^N_i,
monotone in q, so each site is solved by bisection for the centre of its band. Progression counts
depend only weakly on q (brain and liver metastases change hazards), so the fit iterates:
simulate with q, solve q from the simulated (s_i, N_i), simulate again. Sites are independent given
the progressions, so subtypes and sites are fitted one at a time.

    python benchmarks/course_sites.py                  # fit, print model vs target and the values
    python benchmarks/course_sites.py --write          # ... and write them into structure.yaml
    python benchmarks/course_sites.py --check          # only simulate the current values

Same seed, same result. Runs one recurrent cohort per subtype per iteration (a few minutes at the
default 6,000 patients).
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np

from mbctwin.case.models import SITES
from mbctwin.course.params import SUBTYPES, CourseParams
from mbctwin.course.populations import CohortDefinitions, CohortRun, SiteTargets, run_cohort
from mbctwin.course.result import SUMMARY_SITES
from mbctwin.knowledge.loader import KnowledgeBase, load_kb

STRUCTURE = Path(__file__).resolve().parents[1] / "src/mbctwin/knowledge/data/course/structure.yaml"


def ever_share(start: np.ndarray, progressions: np.ndarray, q: float) -> float:
    """Expected share of patients with the site at any time (start or acquired)."""
    return float(np.mean(1.0 - (1.0 - start) * (1.0 - q) ** progressions))


def solve(start: np.ndarray, progressions: np.ndarray, target: float) -> tuple[float, str]:
    """q with ever_share(q) = target by bisection; clipped to [0, 1] with a flag when unreachable."""
    if target <= ever_share(start, progressions, 0.0):
        return 0.0, "start share already above the target"
    if target >= ever_share(start, progressions, 1.0):
        return 1.0, "target above what every progression adding the site reaches"
    low, high = 0.0, 1.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if ever_share(start, progressions, mid) < target else (low, mid)
    return (low + high) / 2, ""


def with_table(params: CourseParams, subtype: str, table: dict[str, float]) -> CourseParams:
    updated = {**params.new_site_probability, subtype: {**params.new_site_probability[subtype], **table}}
    return params.model_copy(update={"new_site_probability": updated})


def simulate(
    subtype: str, params: CourseParams, args: argparse.Namespace, kb: KnowledgeBase, definitions: CohortDefinitions
) -> CohortRun:
    return run_cohort(
        subtype, "recurrent", args.patients, args.seed, args.years, params=params, kb=kb, definitions=definitions
    )


def fit_subtype(
    subtype: str,
    params: CourseParams,
    targets: SiteTargets,
    args: argparse.Namespace,
    kb: KnowledgeBase,
    definitions: CohortDefinitions,
) -> tuple[CourseParams, CohortRun, dict[str, str]]:
    """Fixed-point fit of one subtype's four site probabilities; returns (params, last run, flags)."""
    bands = targets.bands(subtype)
    flags: dict[str, str] = {}
    for iteration in range(args.iterations):
        run = simulate(subtype, params, args, kb, definitions)
        progressions = run.progressions()
        table = {}
        for site in SUMMARY_SITES:
            start = run.cohort.sites[:, SITES.index(site)].astype(float)
            table[site], flags[site] = solve(start, progressions, bands[site].centre / 100)
        params = with_table(params, subtype, {s: round(v, 3) for s, v in table.items()})
        print(
            f"  {subtype} iteration {iteration + 1}: mean progressions {progressions.mean():.2f}, "
            f"q = {', '.join(f'{s} {v:.3f}' for s, v in table.items())}",
            flush=True,
        )
    return params, simulate(subtype, params, args, kb, definitions), flags


def report(subtype: str, run: CohortRun, targets: SiteTargets, flags: dict[str, str]) -> bool:
    measured = run.result.site_ever_percent()
    start = {s: 100 * run.cohort.sites[:, SITES.index(s)].mean() for s in SUMMARY_SITES}
    met = True
    for site, band in targets.bands(subtype).items():
        inside = band.contains(measured[site])
        met &= inside
        published = (
            f"{band.published_low:g}"
            if band.published_low == band.published_high
            else f"{band.published_low:g}-{band.published_high:g}"
        )
        note = f"  ({flags[site]})" if flags.get(site) else ""
        print(
            f"{subtype:16s} {site:6s} start {start[site]:5.1f}  model {measured[site]:5.1f}  "
            f"target {published:>9s} (centre {band.centre:5.1f}, band {band.low:5.1f}-{band.high:5.1f})  "
            f"{'ok' if inside else 'MISS'}{note}"
        )
    return met


def write_structure(table: dict[str, dict[str, float]], path: Path = STRUCTURE) -> None:
    """Replace the subtype lines of the `new_site_probability` block only (targeted edit)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("new_site_probability:"))
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"^\S", lines[i])), len(lines))
    pattern = re.compile(r"^(\s+)(" + "|".join(re.escape(s) for s in SUBTYPES) + r"):\s*\{[^}]*\}(.*)$", re.S)
    done = set()
    for i in range(start, end):
        match = pattern.match(lines[i])
        if match and match.group(2) in table:
            indent, subtype, tail = match.groups()
            cells = ", ".join(f"{site}: {value:.3f}" for site, value in table[subtype].items())
            lines[i] = f"{indent}{subtype}: {{{cells}}}{tail}"
            done.add(subtype)
    missing = set(table) - done
    if missing:
        raise SystemExit(f"could not find the lines of {sorted(missing)} in the new_site_probability block of {path}")
    path.write_text("".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=6000, help="recurrent patients per subtype and run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--iterations", type=int, default=3, help="simulate-and-solve rounds per subtype")
    parser.add_argument("--subtypes", nargs="*", default=list(SUBTYPES))
    parser.add_argument("--check", action="store_true", help="only simulate the current values")
    parser.add_argument("--write", action="store_true", help="write the fitted values into structure.yaml")
    args = parser.parse_args()

    kb, definitions, targets = load_kb(), CohortDefinitions.from_file(), SiteTargets.from_file()
    params = CourseParams.from_file()
    began = time.perf_counter()
    runs, flags = {}, {}
    for subtype in args.subtypes:
        if args.check:
            runs[subtype], flags[subtype] = simulate(subtype, params, args, kb, definitions), {}
        else:
            params, runs[subtype], flags[subtype] = fit_subtype(subtype, params, targets, args, kb, definitions)
    print(f"\nrecurrent cohorts, {args.patients} patients, seed {args.seed}, {args.years:g} years:")
    met = [report(s, runs[s], targets, flags[s]) for s in args.subtypes]
    print(f"subtypes with every site in its band: {sum(met)}/{len(met)}  ({time.perf_counter() - began:.0f} s)")
    fitted = {s: {site: params.new_site_probability[s][site] for site in SUMMARY_SITES} for s in args.subtypes}
    print("\nnew_site_probability:")
    for subtype, table in fitted.items():
        print(f"    {subtype}: {{{', '.join(f'{k}: {v:.3f}' for k, v in table.items())}}}")
    if args.write and not args.check:
        write_structure(fitted)
        print(f"written to {STRUCTURE}")


if __name__ == "__main__":
    main()
