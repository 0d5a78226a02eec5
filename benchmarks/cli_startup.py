"""How long ``mbc`` takes to start and answer: wall time of whole processes, repeated.

    python benchmarks/cli_startup.py [--runs 10]

Times ``mbc --help``, ``mbc plan EXAMPLE --format json`` and ``mbc kb list`` as a user runs them
(a new process each time, the parsed-data cache and Python's bytecode cache warm after the first run:
``PYTHONDONTWRITEBYTECODE`` is dropped for the commands, so an environment that sets it does not
time the compilation of every module on every run), and prints the minimum
and median wall time of each beside the figures measured before the fast-start work (commit
3827d5c: 2.44 s, 2.93 s, 2.30 s on this machine). Target: under 0.5 s each. Timings on a shared
machine are pessimistic; the minimum is the least disturbed run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from importlib import resources

EXAMPLE = str(resources.files("mbctwin.case").joinpath("examples", "hr-positive-first-line.yaml"))
COMMANDS = {
    "mbc --help": (["--help"], 2.44),
    "mbc plan EXAMPLE --format json": (["plan", EXAMPLE, "--format", "json"], 2.93),
    "mbc kb list": (["kb", "list"], 2.30),
}
TARGET_SECONDS = 0.5
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def wall_times(arguments: list[str], runs: int) -> list[float]:
    """Seconds per run of ``mbc ARGUMENTS`` (output discarded; a failing command stops the benchmark)."""
    mbc = shutil.which("mbc") or sys.exit("mbc is not on PATH: pip install -e . first")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([mbc, *arguments], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per command (default 10)")
    args = parser.parse_args()
    for arguments, _ in COMMANDS.values():  # warm the data and bytecode caches as any earlier run would
        wall_times(arguments, 1)
    print(
        f"{'command':34s} {'min s':>6s} {'median s':>9s} {'before s':>9s} {'speed-up':>9s}  target < {TARGET_SECONDS} s"
    )
    for label, (arguments, before) in COMMANDS.items():
        times = wall_times(arguments, args.runs)
        best, median = min(times), statistics.median(times)
        verdict = "met" if median < TARGET_SECONDS else "missed"
        print(f"{label:34s} {best:6.2f} {median:9.2f} {before:9.2f} {before / median:8.1f}x  {verdict}")


if __name__ == "__main__":
    main()
