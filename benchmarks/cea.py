"""Cost-effectiveness overhead (issue #20 target: with costs < 2x the same run without costs).

Runs 2 strategies x N patients x 10 years twice on the same seed: once as `mbc compare` does (no
costs), once as `mbc cea` does (the same simulations, then cost and discounted-QALY accrual and the
incremental analysis), and prints both times and their ratio.

Drug acquisition is the costly part of accrual (a repeated payment per dose day). The knowledge base's
dose data are used when present; drugs without a schedule get a stand-in of 28 daily oral doses per
28-day cycle priced at 1 per mg, the most expensive shape to accrue, so the ratio is an upper bound.

    python benchmarks/cea.py [--patients 100000] [--years 10]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, replace

from mbctwin.case.io import example_case
from mbctwin.course.cea import Costing, body_size_seed, knowledge_schedules
from mbctwin.course.cohort import from_case
from mbctwin.course.model import CourseModel
from mbctwin.course.params import CourseParams
from mbctwin.course.policy import parse_policy
from mbctwin.course.prices import Pack, PriceSet
from mbctwin.knowledge.loader import load_kb

STRATEGIES = ("engine", "fixed:letrozole+palbociclib;fulvestrant;capecitabine")


@dataclass(frozen=True)
class _DailyOral:
    amount: float = 1.0
    basis: str = "flat"
    route: str = "oral"
    times_per_day: int = 1
    day_numbers: tuple[int, ...] = tuple(range(1, 29))


@dataclass(frozen=True)
class _StandIn:
    cycle_days: int = 28
    doses: tuple[_DailyOral, ...] = (_DailyOral(),)
    first_cycle: None = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--case", default="hr-positive-first-line")
    args = parser.parse_args()
    kb, params, case = load_kb(), CourseParams.from_file(), example_case(args.case)
    policies = {text: parse_policy(text, kb) for text in STRATEGIES}
    cohort = from_case(case, args.patients)
    for policy in policies.values():  # imports, engine plans and caches, outside the timings
        CourseModel(params=params, policy=policy, kb=kb).simulate(from_case(case, 2048), years=args.years, seed=0)

    start = time.perf_counter()
    results = {
        n: CourseModel(params=params, policy=p, kb=kb).simulate(cohort, args.years, seed=1) for n, p in policies.items()
    }
    plain = time.perf_counter() - start

    start = time.perf_counter()
    prices = PriceSet.from_file()
    drugs = {d for r in results.values() for label in r.lines["regimen"].unique() for d in str(label).split(" + ")}
    prices = prices.model_copy(
        update={
            "packs": [
                *prices.packs,
                *(
                    Pack(drug=d, units=1, strength_mg=1, price=1, source="ncc_2023_24", locator="stand-in")
                    for d in sorted(drugs)
                    if not prices.packs_of(d)
                ),
            ]
        }
    )
    known = knowledge_schedules(kb)
    costing = Costing.build(prices, params.utilities, kb, args.patients, body_size_seed(1))
    costing = replace(costing, schedule_of=lambda ds, d: known(ds, d) or _StandIn())
    runs = {
        n: CourseModel(params=params, policy=p, kb=kb).simulate(cohort, args.years, seed=1) for n, p in policies.items()
    }
    table, _ = costing.compare(runs)
    with_costs = time.perf_counter() - start

    print(f"case {args.case}: {len(policies)} strategies x {args.patients:,} patients x {args.years:g} years")
    print(f"without costs: {plain:.1f} s")
    print(f"with costs:    {with_costs:.1f} s (accrual and incremental analysis {with_costs - plain:.1f} s)")
    print(f"ratio with/without = {with_costs / plain:.2f} (target < 2):", "met" if with_costs < 2 * plain else "MISSED")
    for row in table:
        print(f"  {row.name}: costs {row.costs:,.0f}, QALYs {row.qalys:.3f}, {row.status.value}")


if __name__ == "__main__":
    main()
