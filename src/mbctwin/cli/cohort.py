"""``mbc cohort``: the patient-course simulator on a virtual population drawn from a cohort definition."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mbctwin.cli._console import err, fail_on_input_error, out, print_json
from mbctwin.cli._options import Format, Output, Patients, Scheduler, Seed, Years, check_scheduler
from mbctwin.cli.course import _print_summary, _run_with_bar
from mbctwin.errors import FieldProblem, InputError, OptionError


def cohort_command(
    subtype: Annotated[
        str, typer.Option(help="HR+/HER2-, HR+/HER2+, HR-/HER2+ or triple-negative (aliases: TNBC, ...).")
    ],
    presentation: Annotated[
        str, typer.Option(help="de_novo, recurrent, or any (the published de novo share).")
    ] = "any",
    patients: Patients = 10_000,
    years: Years = 10.0,
    seed: Seed = 0,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write cohort/patients/lines tables (Parquet).")] = None,
    fmt: Format = Output.text,
    scheduler: Scheduler = None,
    treated_from: Annotated[
        str | None,
        typer.Option(
            "--treated-from",
            help="Date the cohort: courses begin in YEAR or uniformly in FIRST:LAST (e.g. 2008:2016), "
            "with only the drugs approved by then. Default: today's options.",
        ),
    ] = None,
) -> None:
    """A population from published distributions (age, ECOG, sites, de novo share): survival, sites, QALYs."""
    from mbctwin.course.populations import CohortRun, check_presentation, packaged_definitions, run_cohort

    try:
        definitions = packaged_definitions()
        definitions.resolve(subtype)
        check_presentation(presentation)
        era = parse_years(treated_from) if treated_from is not None else None
    except InputError as error:
        raise fail_on_input_error(error, "nothing was simulated") from None
    check_scheduler(scheduler)
    run: CohortRun = _run_with_bar(
        "simulating cohort",
        lambda update: run_cohort(
            subtype,
            presentation,
            patients,
            seed,
            years,
            progress=update,
            scheduler=scheduler,
            definitions=definitions,
            treated_from=era,
        ),
    )
    summary = run.to_dict()
    if out_dir is not None:
        saved = run.save(out_dir)
        err.print(f"wrote {', '.join(p.name for p in saved)} in {out_dir}")
    if fmt is Output.json:
        print_json(summary)
        return
    dated = f" · treated from {era[0]:g}-{era[1]:g} with the drugs approved then" if era else ""
    out.print(
        f"Cohort {summary['subtype']} · presentation {summary['presentation']} "
        f"({summary['de_novo_percent']} % de novo) · seed {summary['seed']}{dated}"
    )
    _print_summary(summary)


def parse_years(text: str) -> tuple[float, float]:
    """ "2012" or "2008:2016" -> (first, last) calendar years; anything else names the option."""
    from mbctwin.course.populations import check_treated_from

    try:
        years = [float(part) for part in text.split(":")]
    except ValueError:
        years = []
    try:
        if len(years) not in (1, 2):
            raise ValueError(f"expected YEAR or FIRST:LAST, got {text!r}")
        return check_treated_from((years[0], years[-1]))
    except ValueError as error:
        raise OptionError([FieldProblem("--treated-from", str(error))]) from None


def register(app: typer.Typer) -> None:
    app.command("cohort")(cohort_command)
