"""``mbc cea``: cost-effectiveness of treatment strategies on the patient-course simulator."""

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
    Scheduler,
    Seed,
    Years,
    check_scheduler,
    policies_or_exit,
    read_case_or_exit,
)
from mbctwin.cli.course import _run_with_bar
from mbctwin.errors import InputError


def cea_command(
    case: CaseFile,
    strategies: Annotated[
        str, typer.Option(help="Comma-separated, as mbc compare --policies: engine,none,fixed:DRUG+DRUG;DRUG[;engine]")
    ] = "engine,none",
    patients: Annotated[int, typer.Option(min=10, max=1_000_000, help="Virtual patients per strategy.")] = 2_000,
    years: Years = 10.0,
    seed: Seed = 0,
    prices: Annotated[
        str | None,
        typer.Option(help="Price set: a YAML file or a packaged id (uk_nhs_2025, default; us_payer_2018)."),
    ] = None,
    psa: Annotated[bool, typer.Option("--psa", help="Probabilistic analysis: CE plane, CEAC, EVPI.")] = False,
    draws: Annotated[int, typer.Option(min=2, max=100_000, help="PSA draws (with --psa).")] = 100,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write summary.json (+ draws, PNGs, HTML).")] = None,
    fmt: Format = Output.text,
    scheduler: Scheduler = None,
) -> None:
    """Costs, QALYs and ICERs of strategies; with --psa the CE plane, acceptability and value of information."""
    from mbctwin.course.cea import run_cea
    from mbctwin.course.prices import PriceSet

    loaded = read_case_or_exit(case)
    chosen = policies_or_exit(strategies, "strategies")
    check_scheduler(scheduler)
    try:
        price_set = PriceSet.load(prices)
    except InputError as error:
        raise fail_on_input_error(error, "nothing was simulated") from None
    result = _run_with_bar(
        "cost-effectiveness",
        lambda update: run_cea(
            loaded,
            chosen,
            patients=patients,
            years=years,
            seed=seed,
            prices=price_set,
            scheduler=scheduler,
            draws=draws if psa else 0,
            progress=update,
        ),
    )
    if out_dir is not None:
        written = result.save(out_dir)
        err.print(f"wrote {', '.join(p.name for p in written)} in {out_dir}")
    data = result.to_dict()
    if fmt is Output.json:
        print_json(data)
    else:
        _print_table(data)


def _print_table(data: dict[str, Any]) -> None:
    money = f"{data['currency']} {data['price_year']}"
    table = Table(
        title=f"Cost-effectiveness · {data['case_id']} · {data['patients']} patients · {data['years']:g} y · {money}"
    )
    for column in ("strategy", "costs", "QALYs", "life-years", "status", "ICER (per QALY)"):
        table.add_column(column)
    for s in data["strategies"]:
        icer = "" if s["icer"] is None else f"{s['icer']:,.0f} vs {s['compared_with']}"
        table.add_row(s["name"], f"{s['costs']:,.0f}", f"{s['qalys']:.3f}", f"{s['life_years']:.3f}", s["status"], icer)
    out.print(table)
    thresholds = ", ".join(f"{t:,.0f}" for t in data["thresholds"])
    out.print(
        f"Costs and QALYs discounted at {data['discount']['costs']:.1%} / {data['discount']['qalys']:.1%} a year; "
        f"life-years undiscounted. Thresholds: {thresholds} {data['currency']} per QALY.",
        markup=False,
    )
    if "psa" in data:
        for t, value in data["psa"]["evpi_per_patient"].items():
            out.print(f"EVPI per patient at {t}/QALY: {value:,.0f} {data['currency']}", markup=False)
    if data["not_priced"]:
        err.print("Not priced (cost 0): " + "; ".join(f"{k}: {v}" for k, v in sorted(data["not_priced"].items())))
    if data["price_set_gaps"]:
        err.print("Gaps of the price set (cost 0): " + "; ".join(data["price_set_gaps"]), markup=False)
    if data["price_set_zeros"]:
        zeros = "; ".join(f"{k}: {v}" for k, v in data["price_set_zeros"].items())
        err.print("Priced at 0 on purpose: " + zeros, markup=False)
    err.print("List prices (no confidential discounts); a simulation from published trials, not an HTA.")


def register(app: typer.Typer) -> None:
    app.command("cea")(cea_command)
