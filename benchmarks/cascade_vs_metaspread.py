"""Our cascade simulator against MetaSpread 2024.0.6 on the default configuration, several seeds.

Creates (once) a virtual environment with ``metaspread==2024.0.6`` from PyPI under the cache
folder (it pins numpy 1.26 and Mesa 2.1.2, so it cannot share ours), drives it as a subprocess
with a seed, runs ours with the same defaults, and prints each statistic side by side with a
two-sample Welch t-test (and a Mann-Whitney U test) at the last saved step, plus the speed ratio.

    python benchmarks/cascade_vs_metaspread.py --steps 1000 --seeds 3 [--jobs 2]

MetaSpread takes ≈ 0.6 s a step on the default 3 x 201 x 201 grids, so 3 seeds x 1,000 steps
take about half an hour; ``--steps 300`` gives a first look in a few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import venv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from scipy import stats

from mbctwin.cascade.model import CascadeModel

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mbctwin" / "metaspread-2024.0.6"
KEYS = (
    "primary_n_total",
    "primary_occupied_points",
    "primary_mean_dist_centre",
    "primary_max_dist_centre",
    "primary_mesenchymal_mean_dist_centre",
    "primary_epithelial_mean_dist_centre",
    "primary_mean_mmp2",
    "primary_max_mmp2",
    "primary_mean_ecm",
    "primary_min_ecm",
    "primary_points_ecm_below_0.5",
    "grid2_n_total",
    "grid3_n_total",
    "vasc_cells_in_circulation",
)

# Runs inside MetaSpread's venv: builds its model with a seed, steps it, prints one JSON line per
# saved step with statistics computed from the model's own arrays and agents.
DRIVER = r"""
import json, os, sys, time
import numpy as np
steps, period, seed = (int(a) for a in sys.argv[1:4])
import metaspread, metaspread.configs as cfg
folder = os.path.abspath("sim")
for sub in ("", "Mmp2", "Ecm", "Vasculature", "Time when grids were populated"):
    os.makedirs(os.path.join(folder, sub), exist_ok=True)
cfg.init_simulation_configs("simulations_configs.csv")
model = metaspread.CancerModel(cfg.number_of_initial_cells, cfg.gridsize, cfg.gridsize, cfg.grids_number,
                               steps, period, folder, seed=seed)
centre = (cfg.gridsize - 1) / 2
start = time.perf_counter()
for n in range(1, steps + 1):
    model.step()
    if n % period:
        continue
    cells = [a for a in model.schedule.agents if a.agent_type == "cell"]
    prim = [a for a in cells if a.grid_id == 1]
    xy = np.array([a.pos for a in prim], dtype=float)
    d = np.hypot(xy[:, 0] - centre, xy[:, 1] - centre)
    mes = np.array([a.phenotype == "mesenchymal" for a in prim])
    m, w = model.mmp2[0][0], model.ecm[0][0]
    rec = {"step": n, "seconds": time.perf_counter() - start, "primary_n_total": len(prim),
           "primary_occupied_points": len({tuple(p) for p in xy}), "primary_mean_dist_centre": d.mean(),
           "primary_max_dist_centre": d.max(), "primary_mesenchymal_mean_dist_centre": d[mes].mean(),
           "primary_epithelial_mean_dist_centre": d[~mes].mean(), "primary_mean_mmp2": m.mean(),
           "primary_max_mmp2": m.max(), "primary_mean_ecm": w.mean(), "primary_min_ecm": w.min(),
           "primary_points_ecm_below_0.5": int((w < 0.5).sum()),
           "vasc_cells_in_circulation": sum(a + b for v in model.vasculature.values() for a, b in v)}
    for g in (2, 3):
        rec[f"grid{g}_n_total"] = sum(a.grid_id == g for a in cells)
    print(json.dumps({k: float(v) for k, v in rec.items()}), flush=True)
"""


def metaspread_python() -> Path:
    """The MetaSpread venv's python, created on first use."""
    python = CACHE / "venv" / "bin" / "python"
    if not python.exists():
        print(f"creating {CACHE / 'venv'} with metaspread==2024.0.6 …", file=sys.stderr)
        venv.create(CACHE / "venv", with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "metaspread==2024.0.6"], check=True)
    return python


def run_metaspread(python: Path, steps: int, period: int, seed: int) -> list[dict[str, float]]:
    """One seeded MetaSpread run in a scratch folder (it writes CSVs into the working directory)."""
    with tempfile.TemporaryDirectory(prefix="metaspread-") as work:
        (Path(work) / "driver.py").write_text(DRIVER)
        done = subprocess.run(
            [str(python), "driver.py", str(steps), str(period), str(seed)],
            cwd=work,
            capture_output=True,
            text=True,
            check=True,
        )
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def run_ours(steps: int, period: int, seed: int) -> tuple[list[dict[str, float]], float]:
    start = time.perf_counter()
    records = CascadeModel().run(steps, seed=seed, save_every=period).records
    return records, time.perf_counter() - start


def compare(ours: list[dict[str, float]], theirs: list[dict[str, float]]) -> None:
    """Side by side at the last saved step: mean ± sd of each, Welch t and Mann-Whitney p-values."""
    print(f"{'statistic':40s} {'ours mean ± sd':>24s} {'MetaSpread mean ± sd':>24s} {'Welch p':>8s} {'MWU p':>7s}")
    for key in KEYS:
        a = np.array([r[key] for r in ours], dtype=float)
        b = np.array([r[key] for r in theirs], dtype=float)
        same = np.allclose(a, a[0]) and np.allclose(b, b[0])
        p_t = 1.0 if same and np.isclose(a[0], b[0]) else stats.ttest_ind(a, b, equal_var=False).pvalue
        p_u = 1.0 if same and np.isclose(a[0], b[0]) else stats.mannwhitneyu(a, b).pvalue
        print(
            f"{key:40s} {a.mean():12.6g} ± {a.std(ddof=1):<9.3g} {b.mean():12.6g} ± {b.std(ddof=1):<9.3g} "
            f"{p_t:8.3f} {p_u:7.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--period", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2, help="MetaSpread runs in parallel")
    args = parser.parse_args()
    python = metaspread_python()
    seeds = list(range(1, args.seeds + 1))
    with ThreadPoolExecutor(args.jobs) as pool:
        theirs = list(pool.map(lambda s: run_metaspread(python, args.steps, args.period, s), seeds))
    ours = [run_ours(args.steps, args.period, 1000 + s) for s in seeds]
    print(f"default configuration, {args.seeds} seeds x {args.steps} steps, statistics at step {args.steps}\n")
    compare([r[-1] for r, _ in ours], [r[-1] for r in theirs])
    ours_s = np.mean([sec for _, sec in ours]) / args.steps
    theirs_s = np.mean([r[-1]["seconds"] for r in theirs]) / args.steps
    print(
        f"\nseconds per step: ours {ours_s:.4f}, MetaSpread {theirs_s:.3f}, ratio {theirs_s / ours_s:.0f}x "
        f"(MetaSpread runs {args.jobs} at a time on {os.cpu_count()} cores; ours one at a time)"
    )


if __name__ == "__main__":
    main()
