"""Small input checks shared by services; each raises INVALID_INPUT naming the field."""

from __future__ import annotations

from urllib.parse import urlparse

from services.core.errors import DomainError, ErrorCode

MAX_URL_LENGTH = 512


def http_url(value: str | None, field: str, *, required: bool = False) -> str:
    """An http(s) URL of at most 512 characters, stripped; "" when optional and empty."""
    value = (value or "").strip()
    if not value and not required:
        return ""
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(value) > MAX_URL_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"This must be an http(s) URL of at most {MAX_URL_LENGTH} characters.", field
        )
    return value
