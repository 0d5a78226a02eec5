"""The ``mbc`` command line."""

from __future__ import annotations

import typer

from mbctwin.cli import kb, plan

app = typer.Typer(
    name="mbc",
    help="mbctwin: decision support for metastatic breast cancer (not a substitute for a tumour board).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
plan.register(app)
app.add_typer(kb.app, name="kb")


def main() -> None:
    app()
