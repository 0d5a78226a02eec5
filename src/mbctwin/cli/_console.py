"""Shared console helpers: data goes to stdout, messages and errors to stderr."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console

from mbctwin.errors import InputError, KnowledgeError

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """Only the JSON on stdout, sorted keys, so outputs can be diffed and cached."""
    typer.echo(json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False))


def fail_on_input_error(error: InputError, nothing: str = "nothing was run") -> typer.Exit:
    """Name the input that failed (``Invalid trial spec``) and every bad field in it; exit code 2."""
    err.print(f"[bold red]Invalid {error.input_kind}[/] — {nothing}:")
    for problem in error.problems:
        err.print(f"  [red]{problem.field}[/]: {problem.message}", markup=True)
    return typer.Exit(2)


def fail_on_knowledge_error(error: KnowledgeError) -> typer.Exit:
    err.print(f"[bold red]Knowledge base error[/] {error}")
    return typer.Exit(3)
