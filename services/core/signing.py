"""HMAC-SHA256 signatures over a timestamp, a nonce and a body, the three parts WeChat Pay
v3 signs: the sandbox gateway's payment notifications and the sandbox payout channel's
callbacks are signed and checked with these."""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, nonce: str, body: bytes, signature: str) -> bool:
    """Compared in constant time, so a forger learns nothing from how long a refusal takes.
    Compared as bytes: compare_digest refuses a str with non-ASCII characters (a TypeError,
    which would turn a forged header into a server error instead of a refusal)."""
    expected = sign(secret, timestamp, nonce, body).encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", "surrogatepass"))
