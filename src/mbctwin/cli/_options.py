"""Options the simulation commands share, declared once so their ranges and help agree."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mbctwin.cli._console import err, fail_on_input_error
from mbctwin.errors import InputError

if TYPE_CHECKING:
    from mbctwin.case.models import Case
    from mbctwin.course.policy import Policy


class Output(StrEnum):
    json = "json"
    text = "text"


CaseFile = Annotated[Path, typer.Argument(help="Case file (.json/.yaml).")]
PolicyText = Annotated[str, typer.Option(help="engine, none, or fixed:DRUG+DRUG;DRUG...")]
Format = Annotated[Output, typer.Option("--format", "-f")]

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


def read_case_or_exit(path: Path) -> Case:
    """The validated case, or exit 2 naming every bad field (nothing is simulated)."""
    from mbctwin.case.io import read_case

    try:
        return read_case(path)
    except InputError as error:
        raise fail_on_input_error(error, "nothing was simulated") from None


def policy_or_exit(text: str, option: str = "policy") -> Policy:
    """The parsed policy (``engine``, ``none``, ``fixed:...``); a bad one exits 2 naming ``option``."""
    from mbctwin.course.policy import parse_policy

    try:
        return parse_policy(text)
    except ValueError as error:
        err.print(f"[red]{option}[/]: {error}")
        raise typer.Exit(2) from None


def policies_or_exit(texts: str, option: str) -> dict[str, Policy]:
    """Comma-separated policies keyed by their text; fewer than two exits 2 naming ``option``."""
    chosen = {text: policy_or_exit(text, option) for text in texts.split(",") if text}
    if len(chosen) < 2:
        err.print(f"[red]{option}[/]: give at least two, separated by commas")
        raise typer.Exit(2)
    return chosen
