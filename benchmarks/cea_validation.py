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

    python benchmarks/cea_validation.py [--patients 20000] [--seed 1] [--later fixed|engine]
"""

from __future__ import annotations

import argparse

from mbctwin.case.io import example_case
from mbctwin.course.cea import run_cea
from mbctwin.course.policy import parse_policy
from mbctwin.course.prices import PriceSet

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--years", type=float, default=40.0)
    parser.add_argument("--later", choices=sorted(LATER), default="fixed")
    args = parser.parse_args()
    strategies = {name: parse_policy(f"fixed:{first};{LATER[args.later]}") for name, first in FIRST.items()}
    result = run_cea(
        example_case("hr-positive-first-line"),
        strategies,
        patients=args.patients,
        years=args.years,
        seed=args.seed,
        prices=PriceSet.packaged("us_payer_2018"),
    )
    by_name = {s.name: s for s in result.strategies}
    reference = by_name["letrozole"]
    print(f"{args.patients:,} patients, {args.years:g} years, later lines: {args.later}, seed {args.seed}")
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
    print("incremental analysis:", ", ".join(f"{s.name}: {s.status.value}" for s in result.strategies))
    print("not priced:", "; ".join(sorted(result.unpriced)) or "-")


if __name__ == "__main__":
    main()
