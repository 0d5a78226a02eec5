"""The ``mbc`` command line."""

from __future__ import annotations

import typer

from mbctwin.cli import apikey, calibrate, cascade, cea, cohort, course, fhir, kb, plan, psa, report, serve

app = typer.Typer(
    name="mbc",
    help="mbctwin: decision support for metastatic breast cancer (not a substitute for a tumour board).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
plan.register(app)
course.register(app)
cohort.register(app)
psa.register(app)
cea.register(app)
calibrate.register(app)
app.add_typer(kb.app, name="kb")
app.add_typer(cascade.app, name="cascade")
serve.register(app)
report.register(app)
app.add_typer(apikey.app, name="apikey")
app.add_typer(fhir.app, name="import")


def main() -> None:
    app()
