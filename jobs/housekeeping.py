"""Housekeeping: purge stale SMS codes and expired refresh tokens."""

from __future__ import annotations

from datetime import timedelta

from models.accounts import RefreshToken, SmsCode
from services.core import clock


async def purge_stale_auth_rows() -> str:
    now = clock.now()
    # Codes are kept a day for the per-phone daily rate limit.
    codes = await SmsCode.filter(created_at__lt=now - timedelta(days=2)).delete()
    tokens = await RefreshToken.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return f"purged {codes} sms codes, {tokens} refresh tokens"
