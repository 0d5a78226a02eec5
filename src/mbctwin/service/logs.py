"""Logging for ``mbc serve``: one line per record, control characters replaced, no exception text.

Exception messages and tracebacks can quote case content (a validation message names a receptor value,
a drug), so a record's exception is reduced to its type; CR, LF and other control characters in any
message are replaced, so nothing can forge a second log line.
"""

from __future__ import annotations

import logging
import sys

from mbctwin.service.middleware import strip_controls


class OneLineFormatter(logging.Formatter):
    """The message on one line, control characters replaced; an exception by type only."""

    def format(self, record: logging.LogRecord) -> str:
        message = strip_controls(record.getMessage())
        if record.exc_info and record.exc_info[0] is not None:
            message += f" [exception {record.exc_info[0].__name__}]"
        return f"{self.formatTime(record)} {record.levelname} {record.name} {message}"


def configure_logging(level: int = logging.INFO) -> None:
    """Route every logger (uvicorn's included) through :class:`OneLineFormatter` on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
