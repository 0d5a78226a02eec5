"""Held-out population check: dated cohorts against the ESME registry's overall survival by subtype.

ESME (Deluche et al., Eur J Cancer 2020; knowledge-base source ``esme_os_by_subtype``) followed
22,109 women whose metastatic breast cancer was treated in 2008-2016: median OS 43.3 months
HR+/HER2-, 50.1 HER2-positive (HR+ and HR- pooled; the mix is not in the abstract), 14.8
triple-negative. The model was never fitted to these figures. A cohort of each subtype whose
courses begin uniformly in 2008-2016 (``mbc cohort --treated-from 2008:2016``) gets only the drugs
approved by each line's year; the same cohort treated with today's options shows what the newer
drugs add in the model. Held to the unseen-trial tolerance, ±20 % on the median.

    python benchmarks/course_population.py [--patients 6000] [--seed 1]
"""

from __future__ import annotations

import argparse
import re
import time

from mbctwin.course.populations import run_cohort
from mbctwin.knowledge.loader import load_kb

SOURCE = "esme_os_by_subtype"
TARGET_PARAMS = {  # subtype -> the source's parameter
    "HR+/HER2-": "median_os_hrpos_her2neg",
    "HR+/HER2+": "median_os_her2pos",
    "HR-/HER2+": "median_os_her2pos",
    "triple-negative": "median_os_tnbc",
}
ERA = (2008.0, 2016.0)
TOLERANCE = 0.20


def published_medians() -> dict[str, float]:
    """The ESME medians, read from the knowledge base source's ``param:`` lines."""
    notes = load_kb().sources[SOURCE].notes or ""
    values = dict(re.findall(r"param: (\w+) = ([0-9.]+)", notes))
    return {subtype: float(values[param]) for subtype, param in TARGET_PARAMS.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    met = 0
    targets = published_medians()
    for subtype, target in targets.items():
        started = time.perf_counter()
        dated = run_cohort(subtype, patients=args.patients, seed=args.seed, treated_from=ERA).to_dict()
        today = run_cohort(subtype, patients=args.patients, seed=args.seed).to_dict()
        median = dated["os_median_months"]
        ok = median is not None and abs(median / target - 1) <= TOLERANCE
        met += ok
        print(
            f"{subtype:16s} {'met ' if ok else 'MISS'} treated 2008-2016: {median} months "
            f"(95 % CI {dated['os_median_ci95']}) vs ESME {target} ({median / target - 1:+.0%}); "
            f"today's options: {today['os_median_months']} ({time.perf_counter() - started:.1f} s)"
        )
    print(f"medians within ±{TOLERANCE:.0%} of ESME: {met}/{len(targets)}")


if __name__ == "__main__":
    main()
