"""JWT bearer tokens from an EHR (CDS Hooks 2.0 §Trusting CDS Clients): issuer-bound keys from a JWKS file.

CDS Hooks asks services to refuse a token whose ``jti`` was seen before and recommends short lifetimes
(5 minutes): a replayed or long-lived token is refused here, with the ``jti`` remembered until the
token would have expired anyway.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import jwt

log = logging.getLogger("mbctwin.service")
ALGORITHMS = ["RS256", "RS384", "ES256", "ES384"]
LEEWAY_S = 30  # clock skew tolerated between the EHR and this service
MAX_REMEMBERED = 100_000  # jti values kept at most (tokens live minutes, so far fewer in practice)


class ReplayCache:
    """``jti`` values seen, each until its token's expiry; thread-safe, bounded."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, jti: str, expires: float) -> bool:
        """Record ``jti``; False when it was already seen (a replay)."""
        now = time.time()
        with self._lock:
            if len(self._seen) >= MAX_REMEMBERED or len(self._seen) % 1000 == 0:
                self._seen = {k: v for k, v in self._seen.items() if v + LEEWAY_S > now}
            if jti in self._seen or len(self._seen) >= MAX_REMEMBERED:
                return False
            self._seen[jti] = expires
            return True


class JwtVerifier:
    """Verifies signature, ``iss``, ``aud`` (the service URL), ``exp``, ``iat``, a lifetime of at most
    ``max_lifetime_s`` and a ``jti`` never seen before.

    Keys come from a local JWKS file so that the service never fetches anything at request time. The
    replay cache lives in this process (one cache per worker process).
    """

    def __init__(self, *, issuer: str, jwks_file: Path, max_lifetime_s: int = 300):
        self.issuer = issuer
        self.max_lifetime_s = max_lifetime_s
        data = json.loads(Path(jwks_file).read_text(encoding="utf-8"))
        self.keys: dict[str, Any] = {k["kid"]: jwt.PyJWK(k) for k in data.get("keys", []) if "kid" in k}
        self.replays = ReplayCache()

    def verify(self, token: str, *, audience: str) -> bool:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self.keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                return False
            claims = jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                issuer=self.issuer,
                audience=audience,
                leeway=LEEWAY_S,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.PyJWTError as error:
            log.info("bearer token refused: %s", type(error).__name__)
            return False
        return self._fresh(claims)

    def _fresh(self, claims: dict[str, Any]) -> bool:
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        if not all(isinstance(v, int | float) for v in (exp, iat)) or not isinstance(jti, str):
            log.info("bearer token refused: malformed exp, iat or jti")
            return False
        if exp - iat > self.max_lifetime_s or iat > time.time() + LEEWAY_S:
            log.info("bearer token refused: lifetime above %d s or issued in the future", self.max_lifetime_s)
            return False
        if not self.replays.first_use(jti, float(exp)):
            log.info("bearer token refused: jti already used (replay)")
            return False
        return True
