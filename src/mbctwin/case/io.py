"""Reading cases from JSON or YAML, with errors that name each bad field."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mbctwin.case.models import CROSS_FIELD_ERROR, Case
from mbctwin.case.safe_load import load_json, load_yaml
from mbctwin.errors import CaseError, FieldProblem


def problems_from(error: ValidationError) -> list[FieldProblem]:
    """Turn pydantic's errors into ``tumor.her2_ihc: reason`` problems (one per field).

    A cross-field problem (a contradiction) becomes one problem for each field involved, each
    message naming the others, so a form can mark every input that takes part."""
    problems = []
    for item in error.errors():
        loc = [str(part) for part in item["loc"]]
        if item["type"] == CROSS_FIELD_ERROR:
            problems.extend(_cross_field_problems(loc, item["ctx"]["problems"]))
            continue
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field (not part of the case contract)"
        problems.append(FieldProblem(".".join(loc) or "case", message))
    return problems


def _cross_field_problems(loc: list[str], found: list[dict[str, Any]]) -> list[FieldProblem]:
    problems = []
    for problem in found:
        fields = [".".join([*loc, field]) for field in problem["fields"]]
        for field in fields:
            others = [f for f in fields if f != field]
            suffix = f" (fields involved: {', '.join(fields)})" if others else ""
            problems.append(FieldProblem(field, f"{problem['message']}{suffix}"))
    return problems


def parse_case(data: Any) -> Case:
    """Validate a mapping against the case contract, or raise :class:`CaseError`."""
    if not isinstance(data, dict):
        raise CaseError([FieldProblem("case", "expected a mapping of case fields")])
    try:
        return Case.model_validate(data)
    except ValidationError as error:
        raise CaseError(problems_from(error)) from None


def load_mapping(text: str, suffix: str) -> Any:
    """Parse JSON or YAML text, bounded in depth, size and aliases (:mod:`mbctwin.case.safe_load`);
    syntax errors and refusals become a ``CaseError`` on the whole file."""
    return load_json(text) if suffix == ".json" else load_yaml(text)


def read_case(path: str | Path) -> Case:
    """Read a case file (``.json``, ``.yaml`` or ``.yml``).

    Parameters
    ----------
    path
        The file; unknown fields and drug names are errors, so a typo cannot drop a fact.

    Returns
    -------
    Case
        The validated case.

    Raises
    ------
    CaseError
        Naming every bad field (``problems``), or the file that cannot be read.

    Examples
    --------
    >>> from importlib import resources
    >>> case = read_case(resources.files("mbctwin.case") / "examples" / "her2-positive-brain.yaml")
    >>> case.ecog
    1
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CaseError([FieldProblem("file", f"cannot read {path}: {error}")]) from None
    return parse_case(load_mapping(text, path.suffix.lower()))


def example_names() -> list[str]:
    """Names of the example cases shipped in the package."""
    folder = resources.files("mbctwin.case").joinpath("examples")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def example_case(name: str) -> Case:
    """Load a bundled example case by name (see :func:`example_names`).

    Examples
    --------
    >>> example_case("triple-negative-first-line").tumor.er
    'negative'
    """
    if name not in example_names():
        raise CaseError([FieldProblem("example", f"unknown example {name!r}; choose from {example_names()}")])
    text = resources.files("mbctwin.case").joinpath("examples", f"{name}.yaml").read_text()
    return parse_case(yaml.safe_load(text))
