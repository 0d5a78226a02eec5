"""``mbc calibrate``: the simulator against the public targets, with an optional HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from mbctwin.cli._console import err, fail_on_input_error, out, print_json
from mbctwin.cli._options import Format, Output, Scheduler, check_scheduler
from mbctwin.cli.course import _run_with_bar
from mbctwin.errors import InputError

if TYPE_CHECKING:
    from mbctwin.course.calibration import CalibrationResult


def calibrate_command(
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report (e.g. calibration.html).")
    ] = None,
    scale: Annotated[float, typer.Option(min=0.01, max=50, help="Patients per arm = published size x scale.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed; each trial and cohort gets its own child seed.")] = 1,
    scheduler: Scheduler = None,
    fmt: Format = Output.text,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any target is missed.")] = False,
    trial: Annotated[
        list[Path] | None, typer.Option("--trial", help="Run only this trial spec (repeatable); default: all shipped.")
    ] = None,
    sites: Annotated[bool, typer.Option("--sites/--no-sites", help="Also check metastatic sites by subtype.")] = True,
    params: Annotated[
        Path | None, typer.Option("--params", help="Structural parameters YAML instead of the packaged one.")
    ] = None,
    kb: Annotated[Path | None, typer.Option("--kb", help="Knowledge-base folder instead of the packaged one.")] = None,
    replicates: Annotated[
        int, typer.Option(min=1, max=200, help="Runs per trial (other seeds): how often each target is met; the mean.")
    ] = 1,
) -> None:
    """Simulated vs published: trial OS medians and hazard ratios, metastatic sites by subtype."""
    from mbctwin.course.calibration import calibrate
    from mbctwin.knowledge.loader import load_kb
    from mbctwin.report.calibration import write_calibration_report

    check_scheduler(scheduler)
    if report is not None and report.suffix.lower() not in {".html", ".htm"}:
        err.print(f"[red]--report {report}[/]: use a .html file name")
        raise typer.Exit(2)
    try:
        knowledge = load_kb(kb) if kb is not None else None
        result = _run_with_bar(
            "calibrating",
            lambda update: calibrate(
                scale=scale, seed=seed, params=params, kb=knowledge, specs=trial, sites=sites, scheduler=scheduler,
                progress=update, replicates=replicates,
            ),
        )  # fmt: skip
    except InputError as error:
        raise fail_on_input_error(error, "nothing was simulated") from None
    if report is not None:
        written = write_calibration_report(result, report)
        err.print(f"wrote {written}")
    if fmt is Output.json:
        print_json({**result.to_dict(), "report": str(report) if report is not None else None})
    else:
        _print_result(result)
    if strict and not result.all_met:
        raise typer.Exit(1)


def _print_result(result: CalibrationResult) -> None:
    table = Table(title=f"Calibration · seed {result.seed} · scale {result.scale:g}")
    for column in ("trial / subtype", "arm / site", "simulated", "published", "accepted", ""):
        table.add_column(column)
    for check in result.checks:
        model = "not reached" if check.model is None else f"{check.model:.2f}"
        published = (
            f"{check.published[0]:g}-{check.published[1]:g}"
            if isinstance(check.published, tuple)
            else f"{check.published:g}"
        )
        accepted = f"{check.accepted[0]:.2f}-{check.accepted[1]:.2f}"
        if check.kind == "os_hr" and check.model_ci is not None:
            model += f" [{check.model_ci[0]:.2f}-{check.model_ci[1]:.2f}]"
        verdict = "[green]met[/]" if check.passed else "[bold red]missed[/]"
        table.add_row(check.group, check.item, model, published, accepted, verdict)
    out.print(table)
    counts = result.counts()
    out.print(
        f"targets met: {counts['targets_met']}/{counts['targets']} "
        f"(trials {counts['trials_met']}/{counts['trials']}, subtypes {counts['subtypes_met']}/{counts['subtypes']})"
    )
    for check in result.missed:
        out.print(f"  missed: {check.group} · {check.item}", markup=False)
    if result.replicates:
        _print_replicated(result)
    err.print("Simulation compared with published figures; decision support, not a substitute for a tumour board.")


def _print_replicated(result: CalibrationResult) -> None:
    runs = result.runs_per_trial
    table = Table(title=f"Over {runs} runs per trial · mean simulated value against the same tolerance")
    for column in ("trial", "arm / HR", "mean", "published", "runs met", ""):
        table.add_column(column)
    for target in result.replicated():
        check = target.check
        mean = "not reached" if check.model is None else f"{check.model:.2f}"
        verdict = "[green]met[/]" if check.passed else "[bold red]missed[/]"
        runs_met = f"{target.runs_met}/{target.runs}"
        table.add_row(check.group, check.item, mean, f"{check.published:g}", runs_met, verdict)
    out.print(table)
    counts = result.counts()
    out.print(f"expected values met: {counts['expected_trial_targets_met']}/{len(result.replicated())}")


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate_command)
