"""Phone number parsing with Google's libphonenumber port."""

from __future__ import annotations

import phonenumbers

import settings
from services.core.errors import DomainError, ErrorCode


def normalize_phone(raw: str, field: str = "phone") -> str:
    """Any common spelling -> E.164 ('+8613800138000'), or INVALID_PHONE."""
    try:
        number = phonenumbers.parse(raw.strip(), settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError(ErrorCode.INVALID_PHONE, "This is not a valid phone number.", field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str | None) -> str:
    """'+8613800138000' -> '138****8000' (national part, middle four hidden)."""
    if not e164:
        return ""
    national = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    if len(national) < 7:
        return "*" * len(national)
    return f"{national[:3]}****{national[-4:]}"
