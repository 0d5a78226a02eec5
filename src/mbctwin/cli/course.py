"""``mbc simulate`` and ``mbc trial``: the patient-course simulator from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from mbctwin.cli._console import err, fail_on_input_error, out, print_json
from mbctwin.cli._options import (
    CaseFile,
    Format,
    Output,
    Patients,
    PolicyText,
    Scheduler,
    Seed,
    Years,
    check_scheduler,
    policies_or_exit,
    policy_or_exit,
    read_case_or_exit,
)
from mbctwin.errors import InputError


def _progress_bar(label: str) -> Progress:
    return Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err, transient=True
    )


def _run_with_bar(label: str, work: Any) -> Any:
    with _progress_bar(label) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return work(update)


def simulate_command(
    case: CaseFile,
    patients: Patients = 10_000,
    years: Years = 10.0,
    policy: PolicyText = "engine",
    seed: Seed = 0,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write patients/lines tables (Parquet).")] = None,
    fmt: Format = Output.text,
    scheduler: Scheduler = None,
) -> None:
    """What is likely to happen to this patient: survival, lines, sites, QALYs."""
    from mbctwin.course.simulation import simulate

    loaded = read_case_or_exit(case)
    chosen = policy_or_exit(policy)
    check_scheduler(scheduler)
    result = _run_with_bar(
        "simulating",
        lambda update: simulate(
            loaded, patients=patients, years=years, policy=chosen, seed=seed, progress=update, scheduler=scheduler
        ),
    )
    summary = {"case_id": loaded.id, "seed": seed, **result.to_dict()}
    if out_dir is not None:
        saved = result.save(out_dir)
        err.print(f"wrote {', '.join(p.name for p in saved)} in {out_dir}")
    if fmt is Output.json:
        print_json(summary)
    else:
        _print_summary(summary)


def trial_command(
    spec: Annotated[Path, typer.Argument(help="Trial spec YAML (see docs/course.md).")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    fmt: Format = Output.text,
) -> None:
    """Replicate a trial in silico: KM medians per arm and Cox hazard ratios beside the published ones."""
    from mbctwin.course.trial import TrialSpec, run_trial

    try:
        loaded = TrialSpec.from_file(spec)
        report = _run_with_bar(f"trial {loaded.name}", lambda update: run_trial(loaded, seed=seed, progress=update))
    except InputError as error:  # the spec, or how its population varies (checked as it is drawn)
        raise fail_on_input_error(error, "nothing was simulated") from None
    if fmt is Output.json:
        print_json(report.to_dict())
        return
    table = Table(title=f"{report.name} (seed {seed})")
    for column in ("arm", "patients", "PFS median", "OS median", "published PFS / OS"):
        table.add_column(column)
    for arm in report.summary.itertuples():
        published = f"{_shown(arm.published_pfs_median_months)} / {_shown(arm.published_os_median_months)}"
        row = (arm.patients, arm.pfs_median_months, arm.os_median_months)
        table.add_row(str(arm.Index), *(_shown(v) for v in row), published)
    out.print(table)
    published = report.published
    out.print(
        f"PFS HR {list(report.pfs_hr)} (published {published and published.pfs_hr}); "
        f"OS HR {list(report.os_hr)} (published {published and published.os_hr})"
    )
    calendar = report.calendar
    if calendar:
        first, last = calendar.entry_years
        out.print(
            f"Patients entered {first:g}-{last:g}, data cut-off {calendar.cutoff_year:g}: later lines use the drugs "
            f"approved by then; {calendar.controls_given_investigational_percent:g} % of control patients "
            "later received the investigational drugs."
        )


def _shown(value: Any) -> str:
    """A table cell: ``None`` for a median not reached or a figure not published."""
    return "None" if value is None or value != value else str(value)


def compare_command(
    case: CaseFile,
    policies: Annotated[str, typer.Option(help="Comma-separated: engine,none,fixed:DRUG+DRUG;DRUG")] = "engine,none",
    patients: Annotated[int, typer.Option(min=10, max=1_000_000)] = 5_000,
    years: Annotated[float, typer.Option(min=0.1, max=40)] = 10.0,
    seed: Annotated[int, typer.Option()] = 0,
    fmt: Format = Output.text,
) -> None:
    """Strategies side by side: life-years and QALYs, paired differences with 95 % CIs."""
    from mbctwin.course.compare import compare_policies

    loaded = read_case_or_exit(case)
    chosen = policies_or_exit(policies, "policies")
    with _progress_bar("comparing") as bar:
        bar.add_task("comparing", total=None)
        report = compare_policies(loaded, chosen, patients, years, seed)
    if fmt is Output.json:
        print_json(report)
        return
    table = Table(title=f"Strategies for {loaded.id} ({patients} patients, {years:g} years)")
    for column in ("policy", "median OS", "life-years", "QALYs"):
        table.add_column(column)
    for name, summary in report["policies"].items():
        table.add_row(
            name, str(summary["os_median_months"]), str(summary["life_years_mean"]), str(summary["qalys_mean"])
        )
    out.print(table)
    for name, diff in report["differences"].items():
        ly, qa = diff["life_years"], diff["qalys"]
        out.print(
            f"{name}: life-years {ly['mean']} (95% CI {ly['ci95'][0]} to {ly['ci95'][1]}), "
            f"QALYs {qa['mean']} (95% CI {qa['ci95'][0]} to {qa['ci95'][1]})",
            markup=False,
        )


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table(title=f"Simulated course · {summary['patients']} patients · policy {summary['policy']}")
    table.add_column("measure")
    table.add_column("value")
    low, high = summary["os_median_ci95"]
    table.add_row("median overall survival (months)", f"{summary['os_median_months']} (95% CI {low}-{high})")
    for key, value in summary["alive_percent"].items():
        table.add_row(f"alive at {key} (%)", str(value))
    for line, months in summary["pfs_median_months_by_line"].items():
        table.add_row(f"median PFS line {line} (months)", f"{months:.1f}" if months else "not reached")
    for line, months in summary["time_on_line_months_mean"].items():
        table.add_row(f"mean time on line {line} (months)", str(months))
    table.add_row(
        "mean months on chemotherapy / incl. ADCs",
        f"{summary['chemotherapy_months_mean']} / {summary['cytotoxic_months_mean']}",
    )
    for site, share in summary["site_ever_percent"].items():
        by_year = " · ".join(f"{y} {v}" for y, v in summary["site_percent_by_year"][site].items())
        table.add_row(f"{site} metastases ever (%)", f"{share} (by {by_year})")
    table.add_row("mean QALYs / life-years", f"{summary['qalys_mean']} / {summary['life_years_mean']}")
    for action, share in summary["care_actions_percent"].items():
        table.add_row(f"new sites led to {action.replace('_', ' ')} (%)", str(share))
    out.print(table)
    err.print("Simulation from published trial results; not a prediction for an individual patient.")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)
    app.command("trial")(trial_command)
    app.command("compare")(compare_command)
