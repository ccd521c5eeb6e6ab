"""The first administrators of a fresh installation (`python -m manage create-admin`)."""

from __future__ import annotations

from dataclasses import dataclass

from models.accounts import User
from services.accounts import access, referral
from services.core import sensitive
from services.core.phones import normalize_phone

ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class AdminCreated:
    user_id: int
    phone: str
    created: bool  # False: the user existed (the role is granted once either way)


async def create_admin(phone: str, nickname: str = "") -> AdminCreated:
    """Make the user with this phone a platform admin, creating the user if needed.
    Idempotent: run twice, one user and one grant. The admin signs in by SMS as anyone does."""
    e164 = normalize_phone(phone)
    await access.sync_catalog()
    user = await User.get_or_none(phone_hash=sensitive.blind_index(e164))
    created = user is None
    if user is None:
        user = await referral.create_user(phone=e164, nickname=nickname or "admin")
    await access.grant_role(user.id, ADMIN_ROLE)
    return AdminCreated(user.id, e164, created)
