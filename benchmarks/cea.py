"""Cost-effectiveness overhead (issue #20 target: with costs < 2x the same run without costs).

Simulates 2 strategies x N patients x 10 years on one seed as `mbc compare` does (no costs), then does
what `mbc cea` adds on those same runs (cost and discounted-QALY accrual, the incremental analysis);
prints the simulation time, the added time and the ratio (simulation + costs) / simulation. Each part
is timed ``--repeat`` times and the least kept (other jobs share the machine).

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
from mbctwin.course.costs import ScheduleOf
from mbctwin.course.model import CourseModel
from mbctwin.course.params import CourseParams
from mbctwin.course.policy import parse_policy
from mbctwin.course.prices import Pack, PriceSet
from mbctwin.course.result import CourseResult, regimen_drugs
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


def _with_stand_in(known: ScheduleOf) -> ScheduleOf:
    """The knowledge base's schedule of a drug, or the stand-in when it has none."""
    return lambda drugs, drug: known(drugs, drug) or _StandIn()


def _with_stand_ins(prices: PriceSet, runs: dict[str, CourseResult]) -> PriceSet:
    """The price set plus a stand-in pack (1 per mg) for every simulated drug it does not price."""
    drugs = {d for r in runs.values() for label in r.lines["regimen"].unique() for d in regimen_drugs(str(label))}
    stand_ins = [
        Pack(drug=d, units=1, strength_mg=1, price=1, source="ncc_2023_24", locator="stand-in")
        for d in sorted(drugs)
        if not prices.packs_of(d)
    ]
    return prices.model_copy(update={"packs": [*prices.packs, *stand_ins]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--case", default="hr-positive-first-line")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    kb, params, case = load_kb(), CourseParams.from_file(), example_case(args.case)
    policies = {text: parse_policy(text, kb) for text in STRATEGIES}
    cohort = from_case(case, args.patients)
    for policy in policies.values():  # imports, engine plans and caches, outside the timings
        CourseModel(params=params, policy=policy, kb=kb).simulate(from_case(case, 2048), years=args.years, seed=0)

    plain = []
    for _ in range(args.repeat):  # the simulations mbc compare runs (the least of the repeats)
        start = time.perf_counter()
        runs = {
            n: CourseModel(params=params, policy=p, kb=kb).simulate(cohort, args.years, seed=1)
            for n, p in policies.items()
        }
        plain.append(time.perf_counter() - start)

    priced = []
    for _ in range(args.repeat):  # what mbc cea adds on the same runs: accrual and the incremental analysis
        start = time.perf_counter()
        prices = _with_stand_ins(PriceSet.from_file(), runs)
        costing = Costing.build(prices, params.utilities, kb, args.patients, body_size_seed(1))
        costing = replace(costing, schedule_of=_with_stand_in(knowledge_schedules(kb)))
        table, _ = costing.compare(runs)
        priced.append(time.perf_counter() - start)
    simulate, accrue = min(plain), min(priced)
    with_costs = simulate + accrue

    print(f"case {args.case}: {len(policies)} strategies x {args.patients:,} patients x {args.years:g} years")
    print(f"without costs: {simulate:.1f} s (simulation, least of {args.repeat})")
    print(f"with costs:    {with_costs:.1f} s (+ accrual and incremental analysis {accrue:.1f} s)")
    print(f"ratio with/without = {with_costs / simulate:.2f} (target < 2):", "met" if accrue < simulate else "MISSED")
    for row in table:
        print(f"  {row.name}: costs {row.costs:,.0f}, QALYs {row.qalys:.3f}, {row.status.value}")


if __name__ == "__main__":
    main()
