"""The ``mbc`` command line.

Each command lives in a module of this package with a ``register(app)`` function. ``main`` imports
and registers only the module of the command it is asked for, so ``mbc plan`` never imports the
simulators' commands (start-up is measured by ``benchmarks/cli_startup.py``); ``app``, the whole
command line (help, tests, documentation), imports every module on first use.
"""

from __future__ import annotations

import sys
from functools import cache
from importlib import import_module

import typer

HELP = "mbctwin: decision support for metastatic breast cancer (not a substitute for a tumour board)."
# Command -> the module that registers it, in the order ``mbc --help`` lists them.
COMMANDS = {
    "plan": "plan",
    "demo": "plan",
    "example": "plan",
    "simulate": "course",
    "trial": "course",
    "compare": "course",
    "cohort": "cohort",
    "psa": "psa",
    "cea": "cea",
    "calibrate": "calibrate",
    "kb": "kb",
    "cascade": "cascade",
    "serve": "serve",
    "report": "report",
    "apikey": "apikey",
    "import": "fhir",
}


def _root() -> None:
    """The group itself does nothing: a command always follows (keeps a one-command app a group)."""


def build(modules: list[str]) -> typer.Typer:
    """A command line with the commands of these modules of ``mbctwin.cli``."""
    root = typer.Typer(
        name="mbc", help=HELP, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
    )
    root.callback()(_root)
    for module in modules:
        import_module(f"mbctwin.cli.{module}").register(root)
    return root


@cache
def _whole() -> typer.Typer:
    return build(list(dict.fromkeys(COMMANDS.values())))


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        return _whole()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """The ``mbc`` console script: the asked command's module only; the whole app for help or a typo."""
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    module = COMMANDS.get(command or "")
    (build([module]) if module else _whole())()
