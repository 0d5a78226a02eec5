"""``mbc cascade``: run the cell-scale metastatic cascade simulator, print its statistics, plot it."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from mbctwin.cli._console import err, fail_on_input_error, print_json

if TYPE_CHECKING:
    from mbctwin.cascade.config import CascadeConfig
    from mbctwin.cascade.extensions import ExtendedConfig

app = typer.Typer(help="Cell-scale metastatic cascade simulator (Franssen et al. 2019).", no_args_is_help=True)


class StatsFormat(StrEnum):
    json = "json"


def _fail(field: str, message: str) -> typer.Exit:
    err.print(f"[red]{field}[/]: {message}")
    return typer.Exit(2)


def _config(path: Path | None) -> CascadeConfig:
    from mbctwin.cascade.config import CascadeConfig, CascadeConfigError

    try:
        return CascadeConfig.from_file(path) if path else CascadeConfig()
    except CascadeConfigError as error:
        raise fail_on_input_error(error) from None


def _extended(cfg: CascadeConfig, case: Path | None, treatment: str | None, start_step: int) -> ExtendedConfig:
    """The extensions for --case / --treatment: organs and receptors of the case, therapies of the regimen."""
    from mbctwin.cascade.extensions import ExtendedConfig
    from mbctwin.cascade.treatment import config_from_case, therapies_from
    from mbctwin.case.io import read_case
    from mbctwin.errors import MbctwinError

    try:
        ext = config_from_case(read_case(case), core=cfg) if case else ExtendedConfig(core=cfg)
    except MbctwinError as error:
        raise _fail("--case", str(error)) from None
    if not treatment:
        return ext
    try:
        therapies, ignored = therapies_from(treatment, start_step)
    except KeyError as error:
        raise _fail("--treatment", f"unknown drug {error}") from None
    if ignored:
        err.print(f"[yellow]No cell-level effect modelled for: {', '.join(ignored)}[/]")
    return ext.model_copy(update={"therapies": therapies})


def _run_dir(run_dir: Path) -> Path:
    if not (run_dir / "stats.json").is_file():
        raise _fail("DIR", f"{run_dir} is not a cascade run folder (no stats.json); see `mbc cascade run`")
    return run_dir


@app.command("run")
def run_command(
    steps: Annotated[int, typer.Option("--steps", help="Steps to simulate (≈ 40 s each; 2,160 a day).")],
    seed: Annotated[int, typer.Option("--seed", help="Seed: the same seed gives the same run, bit for bit.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for frames, events, statistics and config.")],
    config: Annotated[
        Path | None, typer.Option("--config", help="YAML or JSON parameters; default: published.")
    ] = None,
    save_every: Annotated[int, typer.Option("--save-every", help="Save a frame and statistics every K steps.")] = 100,
    case: Annotated[Path | None, typer.Option("--case", help="Patient case: organs, tropism, receptors.")] = None,
    treatment: Annotated[
        str | None, typer.Option("--treatment", help="Knowledge-base regimen id or drugs (a,b) acting on cells.")
    ] = None,
    start_step: Annotated[int, typer.Option("--start-step", min=0, help="Step the treatment starts.")] = 0,
) -> None:
    """Simulate and write compressed NPZ frames, events.parquet, stats.json, config.json and seed.txt."""
    from mbctwin.cascade import io
    from mbctwin.cascade.extensions import ExtendedCascadeModel
    from mbctwin.cascade.model import CascadeModel

    if steps < 1:
        raise _fail("--steps", "must be ≥ 1")
    if save_every < 1:
        raise _fail("--save-every", "must be ≥ 1")
    if seed < 0:
        raise _fail("--seed", "must be ≥ 0")
    cfg = _config(config)
    ext = _extended(cfg, case, treatment, start_step) if case or treatment else None
    model = ExtendedCascadeModel(ext) if ext else CascadeModel(cfg)
    columns = (
        TextColumn("cascade"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("run", total=steps)
        result = model.run(
            steps,
            seed=seed,
            save_every=save_every,
            on_save=io.frame_saver(out),
            progress=lambda n, _total: bar.update(task, completed=n),
        )
    io.write_run(out, result)
    if ext is not None:
        (out / "extensions.json").write_text(ext.model_dump_json(indent=2), encoding="utf-8")
    last = result.records[-1]
    err.print(
        f"Wrote {out}: {len(result.records)} frames, {len(result.events)} events; "
        f"primary {last['primary_n_total']} cells, {last['cum_intravasation_events']} intravasations."
    )


@app.command("stats")
def stats_command(
    run_dir: Annotated[Path, typer.Argument(help="A folder written by `mbc cascade run`.")],
    fmt: Annotated[StatsFormat, typer.Option("--format", "-f", help="json: only JSON on stdout.")] = StatsFormat.json,
) -> None:
    """Print the statistics of every saved step as {"records": [...]}."""
    from mbctwin.cascade import io

    print_json({"records": io.read_records(_run_dir(run_dir))})


@app.command("plot")
def plot_command(
    run_dir: Annotated[Path, typer.Argument(help="A folder written by `mbc cascade run`.")],
) -> None:
    """Write plots/: a PNG per saved frame (all grids), frames.gif and series.png."""
    from mbctwin.cascade import io, plot

    records = io.read_records(_run_dir(run_dir))
    target = run_dir / "plots"
    target.mkdir(exist_ok=True)
    pngs = [plot.frame_png(io.read_frame(p), target / f"{p.stem}.png") for p in io.frame_paths(run_dir)]
    if pngs:
        plot.gif(pngs, target / "frames.gif")
    plot.series_png(records, target / "series.png")
    err.print(f"Wrote {len(pngs)} frames, frames.gif and series.png to {target}")


@app.command("replicates")
def replicates_command(
    steps: Annotated[int, typer.Option("--steps", min=1, help="Steps per run.")],
    seeds: Annotated[str, typer.Option("--seeds", help="Comma-separated seeds, e.g. 1,2,3.")],
    config: Annotated[Path | None, typer.Option("--config", help="YAML or JSON parameters.")] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="dask (local cluster) or tcp://HOST:PORT; default: this process.")
    ] = None,
) -> None:
    """Several seeds at once (in parallel with --scheduler); prints the final statistics per seed as JSON."""
    from mbctwin.cascade.model import run_replicates

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise _fail("--seeds", f"expected comma-separated integers, got {seeds!r}") from None
    if not seed_list or min(seed_list) < 0:
        raise _fail("--seeds", "give at least one seed ≥ 0")
    cfg = _config(config)
    try:
        results = run_replicates(cfg, steps, seed_list, save_every=steps, scheduler=scheduler)
    except ValueError as error:
        raise _fail("--scheduler", str(error)) from None
    print_json({"steps": steps, "runs": [{"seed": r.seed, **r.records[-1]} for r in results]})


@app.command("compare")
def compare_command(
    case: Annotated[Path, typer.Option("--case", help="Patient case (YAML/JSON).")],
    treatment: Annotated[str, typer.Option("--treatment", help="Knowledge-base regimen id or drugs (a,b).")],
    steps: Annotated[int, typer.Option("--steps", min=1, help="Steps per run.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for comparison.json and organs.png.")],
    seeds: Annotated[str, typer.Option("--seeds", help="Comma-separated seeds.")] = "1,2,3",
    start_step: Annotated[int, typer.Option("--start-step", min=0, help="Step the treatment starts.")] = 0,
    config: Annotated[Path | None, typer.Option("--config", help="YAML or JSON core parameters.")] = None,
    save_every: Annotated[int, typer.Option("--save-every", min=1, help="Record every K steps.")] = 100,
) -> None:
    """Treated vs untreated runs of a case for several seeds; prints final cells per organ as JSON."""
    from mbctwin.cascade.compare import compare, organ_counts_png

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise _fail("--seeds", f"expected comma-separated integers, got {seeds!r}") from None
    cfg = _config(config)
    untreated = _extended(cfg, case, None, start_step)
    treated = _extended(cfg, case, treatment, start_step)
    result = compare(untreated, treated, steps, seed_list, save_every=save_every)
    out.mkdir(parents=True, exist_ok=True)
    (out / "comparison.json").write_text(json.dumps(result), encoding="utf-8")
    organ_counts_png(result, out / "organs.png")
    print_json(
        {
            "steps": steps,
            "seeds": seed_list,
            "treatment": treatment,
            "final": {arm: data["final"] for arm, data in result["arms"].items()},
        }
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="cascade")
