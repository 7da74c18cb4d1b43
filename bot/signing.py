"""HMAC-SHA256 signatures over raw bodies: escalation webhooks and outbound notifications."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The header value for a body: 'sha256=<hex HMAC-SHA256(secret, body)>'."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """True when the header is the body's signature; constant-time; False without a secret."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())
