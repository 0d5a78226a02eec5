"""One frozen settings object for the service; nothing is read from globals after start-up."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from mbctwin.service.jobs import JobSettings
from mbctwin.store.db import default_url

MAX_BODY_BYTES = 1_000_000  # a case is a few kB and a patient Bundle rarely above 100 kB


@dataclass(frozen=True)
class Settings:
    """Service configuration.

    ``auth=False`` is for a local demo only (``mbc serve --no-auth`` refuses other hosts).
    ``jwt_issuer`` and ``jwks_file`` let an EHR call the CDS Hooks service with a signed JWT.
    ``session_secret`` signs the web interface's session cookies (random per process by default).
    """

    database_url: str = ""
    auth: bool = True
    max_body_bytes: int = MAX_BODY_BYTES
    jwt_issuer: str | None = None
    jwks_file: Path | None = None
    migrate: bool = True
    session_secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)  # web sign-in cookies
    cascade_runs: Path | None = None  # folder of `mbc cascade run --out` folders for the viewer
    jobs: JobSettings = field(default_factory=JobSettings)  # simulation workers and admission limits
    jwt_max_lifetime_s: int = 300  # CDS Hooks: a token may live at most 5 minutes (exp - iat)

    def resolved_cascade_runs(self) -> Path:
        """The viewer's run folder: as configured, else ``cascade-runs`` in the user's data directory."""
        if self.cascade_runs is not None:
            return self.cascade_runs
        from platformdirs import user_data_path

        return user_data_path("mbctwin") / "cascade-runs"

    def resolved_url(self) -> str:
        return self.database_url or default_url()
