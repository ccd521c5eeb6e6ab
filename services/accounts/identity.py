"""Real-name verification (实名认证, RISK-3): a user's legal name and resident ID number,
needed before withdrawals (flexible-employment tax reporting).

- Both values are encrypted at rest (models.accounts.UserIdentity); the ID number also has a
  blind index, unique across users: one identity belongs to one account.
- Once only: a submitted identity cannot be replaced by the user (a support process would
  delete the row). What is checked here is the number's form — 18 characters, a real birth
  date and the GB 11643 (ISO 7064 mod 11-2) check character; a name-and-number match against
  an authoritative source is a provider seam not built yet.
- Responses show the ID number masked (110101********1234) to everyone, the owner included,
  and the real name in full only to its owner.
"""

from __future__ import annotations

import re
from datetime import date

from tortoise.exceptions import IntegrityError

from models.accounts import UserIdentity
from services.core import clock, sensitive
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_FORM = re.compile(r"^\d{17}[\dX]$")


def id_check_character(first17: str) -> str:
    """The 18th character of a resident ID: sum(digit × weight) mod 11 looked up in 10X98765432."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def normalize_id_number(raw: str, field: str = "idNumber") -> str:
    """'11010119900307123x ' -> '11010119900307123X', or INVALID_ID_NUMBER."""
    number = (raw or "").strip().upper()
    if not _FORM.match(number):
        raise DomainError(
            ErrorCode.INVALID_ID_NUMBER, "A resident ID number has 17 digits and a check digit or X.", field
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or not date(1900, 1, 1) <= born <= clock.now().date():
        raise DomainError(ErrorCode.INVALID_ID_NUMBER, "The birth date in this ID number is not valid.", field)
    if id_check_character(number[:17]) != number[17]:
        raise DomainError(ErrorCode.INVALID_ID_NUMBER, "This ID number's check digit is wrong.", field)
    return number


def _clean_name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not 2 <= len(name) <= 32:
        raise DomainError(ErrorCode.INVALID_INPUT, "A real name has 2 to 32 characters.", "realName")
    return name


async def submit_identity(user_id: int, real_name: str, id_number: str) -> UserIdentity:
    name = _clean_name(real_name)
    number = normalize_id_number(id_number)
    if await UserIdentity.exists(user_id=user_id):
        raise DomainError(ErrorCode.IDENTITY_ALREADY_SUBMITTED, "Your real name is already verified.")
    if await UserIdentity.exists(id_number_hash=sensitive.blind_index(number)):
        raise DomainError(ErrorCode.ID_NUMBER_TAKEN, "This ID number is verified on another account.", "idNumber")
    try:
        async with unit_of_work():
            return await UserIdentity.create(user_id=user_id, real_name=name, id_number=number)
    except IntegrityError:
        # A concurrent submission won the unique index (user or ID number): say which.
        if await UserIdentity.exists(user_id=user_id):
            raise DomainError(ErrorCode.IDENTITY_ALREADY_SUBMITTED, "Your real name is already verified.") from None
        raise DomainError(
            ErrorCode.ID_NUMBER_TAKEN, "This ID number is verified on another account.", "idNumber"
        ) from None


async def get_identity(user_id: int) -> UserIdentity | None:
    return await UserIdentity.get_or_none(user_id=user_id)


async def require_identity(user_id: int) -> UserIdentity:
    """For withdrawals: the verified identity, or IDENTITY_REQUIRED."""
    identity = await get_identity(user_id)
    if identity is None:
        raise DomainError(ErrorCode.IDENTITY_REQUIRED, "Verify your real name first.")
    return identity
