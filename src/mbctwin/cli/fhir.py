"""``mbc import fhir``: a FHIR R4 / mCODE Bundle to a case file on stdout."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import yaml

from mbctwin.cli._console import err, fail_on_input_error, print_json
from mbctwin.errors import CaseError, FieldProblem, InputError

app = typer.Typer(help="Import cases from other formats.", no_args_is_help=True)


class Format(StrEnum):
    json = "json"
    yaml = "yaml"


def _read(path: Path) -> object:
    from mbctwin.case.safe_load import load_json

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CaseError([FieldProblem("file", f"cannot read {path}: {error}")]) from None
    return load_json(text)


@app.command("fhir")
def fhir_command(
    bundle: Annotated[Path, typer.Argument(help="FHIR R4 Bundle (JSON) with mCODE-style resources.")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Case output: yaml or json.")] = Format.yaml,
) -> None:
    """Print the case mapped from the Bundle; unmapped elements are listed on stderr."""
    from mbctwin.case.fhir import import_bundle

    try:
        imported = import_bundle(_read(bundle))
    except InputError as error:
        raise fail_on_input_error(error, "nothing was imported") from None
    for item in imported.unmapped:
        err.print(f"[yellow]not mapped[/] {item.resource} {item.element}: {item.reason}")
    for inferred in imported.inferred:
        err.print(f"[cyan]inferred[/] {inferred.field} = {inferred.value}: {inferred.how}")
    data = imported.case.model_dump(mode="json", exclude_defaults=True)
    if fmt is Format.json:
        print_json(data)
    else:
        typer.echo(yaml.safe_dump(data, sort_keys=False), nl=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="import")
