"""``mbc kb``: browse and validate the knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from mbctwin.cli._console import err, fail_on_knowledge_error, out, print_json
from mbctwin.errors import KnowledgeError

app = typer.Typer(help="Browse and validate the cited knowledge base.", no_args_is_help=True)

if TYPE_CHECKING:
    from mbctwin.knowledge.loader import KnowledgeBase


def _kb(root: Path | None = None) -> KnowledgeBase:
    from mbctwin.knowledge.loader import load_kb

    try:
        return load_kb(root)
    except KnowledgeError as error:
        raise fail_on_knowledge_error(error) from None


@app.command("list")
def list_regimens(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List every regimen with its drugs and sources."""
    kb = _kb()
    if as_json:
        print_json(
            {
                "version": kb.version,
                "regimens": [
                    {"id": r.id, "name": r.display_name, "drugs": r.drugs, "sources": r.sources}
                    for r in kb.regimens.values()
                ],
            }
        )
        return
    table = Table(title=f"Knowledge base {kb.version}: {len(kb.regimens)} regimens")
    for column in ("id", "regimen", "sources"):
        table.add_column(column)
    for regimen in kb.regimens.values():
        table.add_row(regimen.id, regimen.display_name, ", ".join(kb.sources[s].name for s in regimen.sources))
    out.print(table)


@app.command("show")
def show_regimen(regimen_id: Annotated[str, typer.Argument(help="Regimen id (see `mbc kb list`).")]) -> None:
    """Show one regimen: drugs, the rules that recommend it and its evidence."""
    kb = _kb()
    regimen = kb.regimens.get(regimen_id)
    if regimen is None:
        err.print(f"[red]regimen[/]: unknown id {regimen_id!r}; see `mbc kb list`")
        raise typer.Exit(2)
    rules = [r for r in kb.systemic if regimen_id in r.recommend]
    print_json(
        {
            "id": regimen.id,
            "name": regimen.display_name,
            "drugs": regimen.drugs,
            "notes": regimen.notes,
            "recommended_by": [{"rule": r.id, "title": r.title, "tier": r.tier} for r in rules],
            "sources": [kb.sources[s].model_dump(mode="json", exclude_none=True) for s in regimen.sources],
        }
    )


@app.command("validate")
def validate_command(
    root: Annotated[Path | None, typer.Option(help="A knowledge-base data folder (default: the packaged one).")] = None,
) -> None:
    """Check the knowledge base: vocabulary, sources, references; exit 1 on any problem."""
    from mbctwin.knowledge.validate import validate

    kb = _kb(root)
    report = validate(kb)
    for warning in report.warnings:
        err.print(f"[yellow]warning[/] {warning}")
    for problem in report.errors:
        err.print(f"[red]error[/] {problem}")
    if report.errors:
        raise typer.Exit(1)
    err.print(
        f"Knowledge base {kb.version}: {len(kb.regimens)} regimens, {len(kb.systemic)} systemic rules, "
        f"{len(kb.sources)} sources — valid ({len(report.warnings)} warnings)."
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="kb")
