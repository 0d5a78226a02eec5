"""``mbc plan``, ``mbc demo`` and ``mbc example``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import yaml

from mbctwin.cli._console import console, fail_on_input_error, print_json
from mbctwin.errors import InputError

DEMO_CASE = "hr-positive-first-line"

if TYPE_CHECKING:
    from mbctwin.case.models import Case


class Format(StrEnum):
    json = "json"
    text = "text"
    markdown = "markdown"


def _emit(case: Case, fmt: Format) -> None:
    """Each format imports its own renderer: JSON needs neither rich nor the markdown writer."""
    from mbctwin.engine.plan import build_plan

    plan = build_plan(case)
    if fmt is Format.json:
        print_json(plan.model_dump(mode="json"))
    elif fmt is Format.markdown:
        from mbctwin.engine.explain import markdown

        typer.echo(markdown(plan))
    else:
        from mbctwin.cli.render import render_plan

        render_plan(plan, console(stderr=False))


def plan_command(
    case: Annotated[Path, typer.Argument(help="Case file (.json, .yaml or .yml).")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="json (the contract), text or markdown.")] = Format.text,
) -> None:
    """Plan treatment for a case: ranked, cited systemic options, local and supportive care."""
    from mbctwin.case.io import read_case

    try:
        loaded = read_case(case)
    except InputError as error:
        raise fail_on_input_error(error, "nothing was planned") from None
    _emit(loaded, fmt)


def demo_command(
    fmt: Annotated[Format, typer.Option("--format", "-f", help="json, text or markdown.")] = Format.text,
) -> None:
    """Plan the bundled example case (a first-line HR+/HER2- patient)."""
    from mbctwin.case.io import example_case

    console(stderr=True).print(f"Demo: planning the bundled example case '{DEMO_CASE}' (see `mbc example --list`).")
    _emit(example_case(DEMO_CASE), fmt)


def example_command(
    name: Annotated[str | None, typer.Argument(help="Example name; omit to list them.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the example names.")] = False,
) -> None:
    """Print a bundled example case as YAML (a template for your own cases)."""
    from mbctwin.case.io import example_case, example_names

    if name is None or list_:
        for example in example_names():
            typer.echo(example)
        return
    try:
        case = example_case(name)
    except InputError as error:
        raise fail_on_input_error(error, "nothing was planned") from None
    typer.echo(yaml.safe_dump(case.model_dump(mode="json", exclude_defaults=True), sort_keys=False))


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)
    app.command("demo")(demo_command)
    app.command("example")(example_command)
