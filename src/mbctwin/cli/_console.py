"""Shared console helpers: data goes to stdout, messages and errors to stderr.

``out`` and ``err`` are rich consoles made on first use (module attributes, PEP 562), so a command
that prints only JSON never imports rich.
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

import typer

from mbctwin.errors import InputError, KnowledgeError

if TYPE_CHECKING:
    from rich.console import Console


@cache
def console(stderr: bool) -> Console:
    """The stdout (``stderr=False``) or stderr console of this process."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def __getattr__(name: str) -> Console:
    if name in ("out", "err"):
        return console(stderr=name == "err")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def print_json(data: Any) -> None:
    """Only the JSON on stdout, sorted keys, so outputs can be diffed and cached."""
    typer.echo(json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False))


def fail_on_input_error(error: InputError, nothing: str = "nothing was run") -> typer.Exit:
    """Name the input that failed (``Invalid trial spec``) and every bad field in it; exit code 2."""
    err = console(stderr=True)
    err.print(f"[bold red]Invalid {error.input_kind}[/] — {nothing}:")
    for problem in error.problems:
        err.print(f"  [red]{problem.field}[/]: {problem.message}", markup=True)
    return typer.Exit(2)


def fail_on_knowledge_error(error: KnowledgeError) -> typer.Exit:
    console(stderr=True).print(f"[bold red]Knowledge base error[/] {error}")
    return typer.Exit(3)
