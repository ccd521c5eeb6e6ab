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
    """Compared in constant time, so a forger learns nothing from how long a refusal takes."""
    return hmac.compare_digest(sign(secret, timestamp, nonce, body), signature)
