"""Options the simulation commands share, declared once so their ranges and help agree."""

from __future__ import annotations

from typing import Annotated

import typer

from mbctwin.cli._console import err

Patients = Annotated[int, typer.Option(min=1, max=10_000_000, help="Virtual patients.")]
Years = Annotated[float, typer.Option(min=0.1, max=40, help="Simulated horizon.")]
Seed = Annotated[int, typer.Option(help="Random seed (same seed, same result on any scheduler).")]
Scheduler = Annotated[
    str | None,
    typer.Option(help="dask (local cluster) or tcp://HOST:PORT to spread the work; default: this process."),
]


def check_scheduler(scheduler: str | None) -> None:
    """Refuse an unknown scheduler before any work starts (exit code 2, like other bad input)."""
    if scheduler is not None and scheduler != "dask" and not scheduler.startswith("tcp://"):
        err.print(f"[red]scheduler[/]: unknown scheduler {scheduler!r}: use dask or tcp://HOST:PORT")
        raise typer.Exit(2)
