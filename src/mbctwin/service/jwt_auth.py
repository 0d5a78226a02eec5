"""JWT bearer tokens from an EHR (CDS Hooks 2.0 §Trusting CDS Clients): issuer-bound keys from a JWKS file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import jwt

log = logging.getLogger("mbctwin.service")
ALGORITHMS = ["RS256", "RS384", "ES256", "ES384"]


class JwtVerifier:
    """Verifies signature, ``iss``, ``aud`` (the service URL), ``exp`` and ``jti`` presence.

    Keys come from a local JWKS file so that the service never fetches anything at request time.
    """

    def __init__(self, *, issuer: str, jwks_file: Path):
        self.issuer = issuer
        data = json.loads(Path(jwks_file).read_text(encoding="utf-8"))
        self.keys: dict[str, Any] = {k["kid"]: jwt.PyJWK(k) for k in data.get("keys", []) if "kid" in k}

    def verify(self, token: str, *, audience: str) -> bool:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self.keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                return False
            jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                issuer=self.issuer,
                audience=audience,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.PyJWTError as error:
            log.info("bearer token refused: %s", type(error).__name__)
            return False
        return True
