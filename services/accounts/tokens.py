"""Access tokens (short-lived JWT naming a session) and refresh tokens (opaque, single use)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

import settings
from services.core import clock
from services.core.errors import DomainError, ErrorCode

ALGORITHM = "HS256"


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: uuid.UUID
    expires_at: datetime | None = None


def issue_access_token(user_id: int, session_id: uuid.UUID) -> tuple[str, datetime]:
    issued = clock.now()
    expires = issued + timedelta(seconds=settings.ACCESS_TOKEN_TTL_SECONDS)
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "typ": "access",
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(claims, settings.SECRET_KEY, algorithm=ALGORITHM), expires


def decode_access_token(token: str) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            settings.SECRET_KEY,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub", "sid"], "verify_exp": False, "verify_iat": False},
        )
        # Expiry is checked against the service clock, which tests can move.
        if claims["exp"] < clock.now().timestamp():
            raise DomainError(ErrorCode.TOKEN_EXPIRED, "The access token has expired.")
        if claims.get("typ") != "access":
            raise jwt.InvalidTokenError("not an access token")
        expires_at = datetime.fromtimestamp(claims["exp"], tz=clock.now().tzinfo)
        return AccessClaims(int(claims["sub"]), uuid.UUID(claims["sid"]), expires_at)
    except (jwt.InvalidTokenError, ValueError, KeyError) as exc:
        raise DomainError(ErrorCode.TOKEN_INVALID, "The access token is invalid.") from exc


def new_refresh_token() -> tuple[str, str]:
    """(token for the client, digest for the database)."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
