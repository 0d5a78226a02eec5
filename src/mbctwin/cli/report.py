"""``mbc report``: a printable report (case summary, body map, plan, evidence) as HTML or PDF."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from mbctwin.cli._console import err, fail_on_input_error


def report_command(
    case: Annotated[str, typer.Argument(help="Case file (YAML/JSON) or the name of a bundled example.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="report.html, or report.pdf (printed with Chromium).")],
    outlook: Annotated[
        bool, typer.Option("--outlook/--no-outlook", help="Add simulated survival curves (2,000 patients, ~1 s).")
    ] = True,
) -> None:
    """Write one document with the case summary, body map, plan and evidence table."""
    from mbctwin.case.io import example_case, example_names, read_case
    from mbctwin.engine.plan import build_plan
    from mbctwin.errors import InputError, MbctwinError
    from mbctwin.report import write_report

    if out.suffix.lower() not in {".html", ".htm", ".pdf"}:
        err.print(f"[bold red]--out {out}[/]: use a .html or .pdf file name")
        raise typer.Exit(2)
    try:
        parsed = example_case(case) if not Path(case).exists() and case in example_names() else read_case(case)
    except InputError as error:
        raise fail_on_input_error(error, "no report was written") from None
    try:
        with report_progress() as progress:
            written = write_report(parsed, build_plan(parsed), out, outlook=outlook, progress=progress)
    except MbctwinError as error:
        err.print(f"[bold red]report failed:[/] {error}")
        raise typer.Exit(1) from None
    err.print(f"wrote {written}")


@contextmanager
def report_progress() -> Iterator[Callable[[str, float], None]]:
    """A progress bar on stderr (stdout stays clean): the outlook simulation, then the PDF printing."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("report", total=1.0)

        def update(stage: str, fraction: float) -> None:
            bar.update(task, description=stage, completed=fraction)

        yield update


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
