"""RISK-3 races on PostgreSQL: the blind indexes' unique constraints decide, and the loser
gets a stable error code (never a 500, never two rows)."""

from __future__ import annotations

import asyncio

from models.accounts import User, UserIdentity
from services.accounts import identity
from services.core import sensitive
from services.core.errors import DomainError
from tests.conftest import requires_postgres
from tests.helpers import make_user

pytestmark = requires_postgres

ROUNDS = 6


def _number(k: int) -> str:
    """A distinct valid resident ID number per k (born 1990-01-(k+1))."""
    first17 = f"11010119900{1:01d}{k + 1:02d}{100 + k:03d}"
    return first17 + identity.id_check_character(first17)


async def _outcome(coro) -> str:
    try:
        await coro
        return "OK"
    except DomainError as exc:
        return exc.code.value


async def test_two_accounts_racing_for_one_id_number():
    for i in range(ROUNDS):
        number = _number(i)
        a, b = await make_user("a"), await make_user("b")
        results = await asyncio.gather(
            _outcome(identity.submit_identity(a.id, "张三", number)),
            _outcome(identity.submit_identity(b.id, "张三", number)),
        )
        assert sorted(results) == ["ID_NUMBER_TAKEN", "OK"], results
        assert await UserIdentity.filter(id_number_hash=sensitive.blind_index(number)).count() == 1


async def test_one_account_submitting_twice_at_once():
    for i in range(ROUNDS):
        user = await make_user("twice")
        results = await asyncio.gather(
            _outcome(identity.submit_identity(user.id, "张三", _number(2 * i))),
            _outcome(identity.submit_identity(user.id, "李四", _number(2 * i + 1))),
        )
        assert sorted(results) == ["IDENTITY_ALREADY_SUBMITTED", "OK"], results
        assert await UserIdentity.filter(user_id=user.id).count() == 1


async def test_two_sign_ups_with_one_phone_make_one_user():
    from services.accounts import referral

    for i in range(ROUNDS):
        phone = f"+86137555000{i:02d}"
        results = await asyncio.gather(
            _outcome(referral.create_user(phone=phone, nickname="x")),
            _outcome(referral.create_user(phone=phone, nickname="y")),
            return_exceptions=True,
        )
        assert results.count("OK") == 1, results
        assert await User.filter(phone_hash=sensitive.blind_index(phone)).count() == 1
