"""``mbc psa``: probabilistic sensitivity analysis of the patient-course simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from mbctwin.cli._console import err, fail_on_input_error, out, print_json
from mbctwin.cli._options import (
    CaseFile,
    Format,
    Output,
    PolicyText,
    Scheduler,
    Seed,
    Years,
    check_scheduler,
    policy_or_exit,
    read_case_or_exit,
)
from mbctwin.cli.course import _run_with_bar
from mbctwin.errors import InputError


def psa_command(
    case: CaseFile,
    draws: Annotated[int, typer.Option(min=1, max=100_000, help="Parameter draws.")] = 100,
    patients: Annotated[int, typer.Option(min=1, max=1_000_000, help="Virtual patients per draw.")] = 1_000,
    years: Years = 10.0,
    policy: PolicyText = "engine",
    seed: Seed = 0,
    uncertainty: Annotated[
        Path | None, typer.Option(help="Uncertainty YAML; default: knowledge/data/course/uncertainty.yaml.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write draws.parquet and PNG plots of the distributions.")
    ] = None,
    fmt: Format = Output.text,
    scheduler: Scheduler = None,
) -> None:
    """Outcome distributions when model parameters are drawn from their uncertainty."""
    from mbctwin.course.params import CourseParams
    from mbctwin.course.psa import Uncertainty, run_psa

    loaded = read_case_or_exit(case)
    chosen = policy_or_exit(policy)
    check_scheduler(scheduler)
    if uncertainty is not None and not uncertainty.is_file():
        err.print(f"[red]uncertainty[/]: no such file {uncertainty}")
        raise typer.Exit(2)
    params = CourseParams.from_file()
    try:
        spreads = Uncertainty.from_file(uncertainty)
        result = _run_with_bar(
            f"PSA {draws} draws",
            lambda update: run_psa(
                loaded,
                draws=draws,
                patients=patients,
                years=years,
                policy=chosen,
                seed=seed,
                uncertainty=spreads,
                params=params,
                scheduler=scheduler,
                progress=update,
            ),
        )
    except InputError as error:
        raise fail_on_input_error(error, "nothing was simulated") from None
    summary = {"case_id": loaded.id, **result.to_dict()}
    if out_dir is not None:
        saved = result.save(out_dir)
        err.print(f"wrote {', '.join(p.name for p in saved)} in {out_dir}")
    if fmt is Output.json:
        print_json(summary)
    else:
        _print_summary(summary)


def _print_summary(summary: dict[str, Any]) -> None:
    from mbctwin.course.psa import LABELS

    table = Table(
        title=f"PSA · {summary['draws']} draws of {summary['patients']} patients · policy {summary['policy']}"
    )
    for column in ("outcome", "mean", "median", "95% interval", "not reached"):
        table.add_column(column)
    for name, stats in summary["outcomes"].items():
        digits = 2 if name in ("life_years_mean", "qalys_mean") else 1
        shown = {k: "-" if v is None else f"{v:.{digits}f}" for k, v in stats.items() if k != "not_reached"}
        interval = f"{shown['p2_5']} to {shown['p97_5']}"
        table.add_row(LABELS[name], shown["mean"], shown["median"], interval, str(stats["not_reached"]))
    out.print(table)
    err.print(
        "Spread across draws = parameter uncertainty plus Monte Carlo noise of the patients per draw. "
        "Simulation from published trial results; not a prediction for an individual patient."
    )


def register(app: typer.Typer) -> None:
    app.command("psa")(psa_command)
