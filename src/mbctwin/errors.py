"""Errors that carry the place of the problem, so every interface can name it."""

from __future__ import annotations

from dataclasses import dataclass


class MbctwinError(Exception):
    """Base class of every error this package raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One bad field: a dotted location such as ``tumor.her2_ihc`` and what is wrong."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class CaseError(MbctwinError):
    """A case that breaks the contract; ``problems`` names each bad field."""

    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class KnowledgeError(MbctwinError):
    """A knowledge-base record that is malformed or refers to something unknown."""

    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__(f"{where}: {message}")
