"""Validation of `mbc cea` against a published US cost-effectiveness analysis (issue #20 item 4).

Published: palbociclib or ribociclib plus letrozole versus letrozole alone, first line, postmenopausal
HR+/HER2- advanced breast cancer, US payer (Breast Cancer Res Treat 2019; PMID 30847728), abstract:
compared to letrozole alone, palbociclib + letrozole gave 0.48 more QALYs at USD 634,000 per QALY
gained, ribociclib + letrozole 0.86 more QALYs at USD 440,000 per QALY gained; threshold USD 100,000.

Here: the same three first lines for the same virtual patients (the packaged HR+ first-line example),
the same later lines in every strategy (exemestane + everolimus, capecitabine, eribulin: no CDK4/6
inhibitor after letrozole, as in a trial-based model), 40 years (lifetime), the US price set of the same
period (us_payer_2018: Mistry et al. 2018's inputs, 3 % / 3 %). With ``--later engine`` the engine
chooses the later lines instead (a CDK4/6 inhibitor can then follow letrozole alone).

``--paper-inputs`` is a validation-only configuration (defaults are untouched): the health-state
utilities Mistry et al. 2018 state in their Table 1 (PMC10398120; progression-free 0.830, the stable-
disease value, as the course model has no response state; progressed disease 0.443; no chemotherapy
disutility, the paper having none) replace the simulator's Lloyd 2006 values, and QALYs are also given
on the paper's three-state structure (progression-free until the first line ends, progressed disease
from then until death, 3 % a year) beside the course model's own (utility of whatever line is running).
The paper's 40-year horizon and 3 % discount rate are already the defaults of this benchmark and price
set. Its survival inputs (a PFS hazard ratio of 0.56 for palbociclib vs letrozole, ribociclib equal to
palbociclib, an OS hazard ratio of 0.84 for both) cannot be imposed on the course model, whose overall
survival emerges from the chain of lines; only their equivalence assumption can be applied (palbociclib
priced on the ribociclib course, printed as a scenario): see docs/cea.md.

    python benchmarks/cea_validation.py [--patients 20000] [--seed 1] [--later fixed|engine] [--paper-inputs]
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
import pandas as pd

from mbctwin.case.io import example_case
from mbctwin.course import discount
from mbctwin.course.cea import Costing, body_size_seed
from mbctwin.course.cohort import from_case
from mbctwin.course.compare import strategy_courses
from mbctwin.course.params import CourseParams, Utilities
from mbctwin.course.policy import parse_policy
from mbctwin.course.prices import PriceSet
from mbctwin.course.result import CourseResult, regimen_label
from mbctwin.knowledge.loader import load_kb

LATER = {"fixed": "exemestane+everolimus;capecitabine;eribulin", "engine": "engine"}
FIRST = {
    "letrozole": "letrozole",
    "palbociclib + letrozole": "letrozole+palbociclib",
    "ribociclib + letrozole": "letrozole+ribociclib",
}
PUBLISHED = {  # incremental QALYs and ICER (USD per QALY) versus letrozole alone, as read in the abstract
    "palbociclib + letrozole": (0.48, 634_000.0),
    "ribociclib + letrozole": (0.86, 440_000.0),
}
THRESHOLD = 100_000.0
# Mistry et al. 2018, Table 1 (PMC10398120/table/T1): health-state utility values, mean.
PAPER_UTILITIES = Utilities(
    progression_free=0.830,  # "Stable disease 0.830 (0.006)"; "CR/PR 0.837 (0.007)" has no state here
    progressed=0.443,  # "PD 0.443"
    alopecia_disutility=0.0,
    chemotherapy_disutility=0.0,  # the paper has AE disutilities only (not modelled here)
)


def three_state_qalys(result: CourseResult, utilities: Utilities, rate: float) -> float:
    """Mean discounted QALYs on the paper's partitioned-survival states: progression-free from 0 until the
    first line ends (progression, death or the horizon), progressed disease from then until death or the
    horizon, whatever later lines the course model runs."""
    first = _first_lines(result).set_index("patient")
    patients = result.patients.set_index("patient")
    end = patients["os_months"].to_numpy()
    stop = first["stop_months"].reindex(patients.index).fillna(0.0).to_numpy()
    pf = discount.flow(utilities.progression_free / 12.0, 0.0, stop, rate)
    pd_ = discount.flow(utilities.progressed / 12.0, stop, np.maximum(stop, end), rate)
    return float(np.mean(pf + pd_))


def as_palbociclib(result: CourseResult) -> CourseResult:
    """The ribociclib course with palbociclib in its place: Mistry et al.'s assumption that the two CDK4/6
    inhibitors are clinically equivalent in PFS and OS (their assumption (f)), priced at palbociclib's costs
    and adverse-event rates. Validation only."""
    ribociclib, palbociclib = regimen_label(("letrozole", "ribociclib")), regimen_label(("letrozole", "palbociclib"))
    lines = result.lines.assign(regimen=result.lines["regimen"].replace(ribociclib, palbociclib))
    return replace(result, lines=lines)


def _first_lines(result: CourseResult) -> pd.DataFrame:
    """Each patient's first line (one row per patient)."""
    lines = result.lines
    return lines.loc[lines.groupby("patient")["start_months"].idxmin()]


def _first_line(result: CourseResult) -> str:
    """Median and mean time on the first line (months)."""
    first = _first_lines(result)
    time = first["stop_months"] - first["start_months"]
    return f"{np.median(time):.1f}/{np.mean(time):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--years", type=float, default=40.0)
    parser.add_argument("--later", choices=sorted(LATER), default="fixed")
    parser.add_argument("--paper-inputs", action="store_true", help="Mistry 2018's utilities (validation only)")
    args = parser.parse_args()
    kb = load_kb()
    prices = PriceSet.packaged("us_payer_2018")
    params = CourseParams.from_file()
    if args.paper_inputs:
        params = params.model_copy(update={"utilities": PAPER_UTILITIES})
    cohort = from_case(example_case("hr-positive-first-line"), args.patients)
    strategies = {name: parse_policy(f"fixed:{first};{LATER[args.later]}") for name, first in FIRST.items()}
    results = strategy_courses(cohort, strategies, args.years, args.seed, params, kb)
    costing = Costing.build(prices, params.utilities, kb, args.patients, body_size_seed(args.seed))
    compared, unpriced = costing.compare(results)
    by_name = {s.name: s for s in compared}
    reference = by_name["letrozole"]
    inputs = "Mistry 2018 utilities (PF 0.830, PD 0.443)" if args.paper_inputs else "simulator utilities"
    print(f"{args.patients:,} patients, {args.years:g} years, later lines: {args.later}, seed {args.seed}, {inputs}")
    head = ("costs", "QALYs", "LY", "dCosts", "dQALY", "paper", "ratio", "ICER", "paper")
    print(f"{'strategy':26} " + " ".join(f"{h:>10}" for h in head) + " side")
    for name, (paper_qalys, paper_icer) in PUBLISHED.items():
        s = by_name[name]
        d_costs, d_qalys = s.costs - reference.costs, s.qalys - reference.qalys
        icer = d_costs / d_qalys
        same_side = (icer > THRESHOLD) == (paper_icer > THRESHOLD)
        print(
            f"{name:26} {s.costs:10,.0f} {s.qalys:10.3f} {s.life_years:10.3f} {d_costs:10,.0f} {d_qalys:10.3f} "
            f"{paper_qalys:10.2f} {d_qalys / paper_qalys:10.2f} {icer:10,.0f} {paper_icer:10,.0f} "
            f"{'same' if same_side else 'OPPOSITE'}"
        )
    print(f"letrozole: costs {reference.costs:,.0f}, QALYs {reference.qalys:.3f}, LY {reference.life_years:.3f}")
    print("median OS, median/mean first-line time (months); the paper's simulated median OS: 33.0 letrozole,")
    print("38.9 palbociclib, 43.3 ribociclib:")
    for name, r in results.items():
        print(f"  {name:24} OS {np.median(r.patients['os_months']):.1f}, first line {_first_line(r)}")
    if args.paper_inputs:
        rate = prices.discount.qalys.value
        states = {name: three_state_qalys(result, params.utilities, rate) for name, result in results.items()}
        print("paper's three states (PF until the first line ends, PD after), same costs:")
        for name, (paper_qalys, paper_icer) in PUBLISHED.items():
            d_qalys = states[name] - states["letrozole"]
            icer = (by_name[name].costs - reference.costs) / d_qalys
            same_side = (icer > THRESHOLD) == (paper_icer > THRESHOLD)
            print(
                f"  {name:24} QALYs {states[name]:.3f} dQALY {d_qalys:.3f} (paper {paper_qalys:.2f}, "
                f"ratio {d_qalys / paper_qalys:.2f}) ICER {icer:,.0f} {'same' if same_side else 'OPPOSITE'} side"
            )
        print(f"  letrozole QALYs {states['letrozole']:.3f}")
        equivalent = as_palbociclib(results["ribociclib + letrozole"])
        costed = costing.compare({"letrozole": results["letrozole"], "palbociclib + letrozole": equivalent})[0]
        d_costs = costed[1].costs - costed[0].costs
        d_qalys = three_state_qalys(equivalent, params.utilities, rate) - states["letrozole"]
        print(
            "  palbociclib equivalent to ribociclib (Mistry's assumption f: the ribociclib course at palbociclib's"
            f" costs): dQALY {d_qalys:.3f} (paper 0.48, ratio {d_qalys / 0.48:.2f}), dCosts {d_costs:,.0f},"
            f" ICER {d_costs / d_qalys:,.0f}"
        )
    print("incremental analysis:", ", ".join(f"{s.name}: {s.status.value}" for s in compared))
    print("not priced:", "; ".join(sorted(unpriced)) or "-")


if __name__ == "__main__":
    main()
