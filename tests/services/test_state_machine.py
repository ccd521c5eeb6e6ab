"""`StateMachine.apply` / `update` against the database: one conditional UPDATE, and a stale
row that lost the race is refused with the state the winner left (nothing changed)."""

from __future__ import annotations

import pytest

from models.merchants import Merchant
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.merchants.merchants import ACTIVE, MERCHANT_STATES, PENDING, REJECTED, SUSPENDED
from tests.catalog_factories import make_merchant


async def code_of(awaitable) -> ErrorCode:
    with pytest.raises(DomainError) as caught:
        await awaitable
    return caught.value.code


async def test_apply_moves_the_row_writes_its_columns_and_returns_the_state_it_left():
    merchant = await make_merchant(status=PENDING)
    async with unit_of_work() as conn:
        left = await MERCHANT_STATES.apply(merchant, "REJECT", conn=conn, reject_reason="blurred licence")
    assert left == PENDING
    assert (merchant.status, merchant.reject_reason) == (REJECTED, "blurred licence") and merchant.reviewed_at
    stored = await Merchant.get(id=merchant.id)
    assert (stored.status, stored.reject_reason, stored.reviewed_at) == (
        REJECTED,
        "blurred licence",
        merchant.reviewed_at,
    )


async def test_a_stale_row_loses_to_the_first_transition_and_changes_nothing():
    merchant = await make_merchant(status=ACTIVE)
    first, stale = await Merchant.get(id=merchant.id), await Merchant.get(id=merchant.id)
    async with unit_of_work() as conn:
        await MERCHANT_STATES.apply(first, "SUSPEND", conn=conn, reject_reason="")
    caught = await code_of(MERCHANT_STATES.apply(stale, "SUSPEND", reject_reason="changed"))
    assert caught == ErrorCode.INVALID_TRANSITION
    stored = await Merchant.get(id=merchant.id)
    assert (stored.status, stored.reject_reason) == (SUSPENDED, "")
    assert stale.status == ACTIVE  # the loser's row object is left as it was read


async def test_a_refusal_by_the_state_read_writes_nothing():
    merchant = await make_merchant(status=REJECTED)
    assert await code_of(MERCHANT_STATES.apply(merchant, "APPROVE")) == ErrorCode.INVALID_TRANSITION
    assert (await Merchant.get(id=merchant.id)).reviewed_at is None


async def test_update_moves_only_the_rows_in_a_source_state():
    pending = [await make_merchant(status=PENDING) for _ in range(2)]
    active = await make_merchant(status=ACTIVE)
    ids = [m.id for m in pending] + [active.id]
    assert await MERCHANT_STATES.update(Merchant.filter(id__in=ids), "APPROVE") == 2
    assert {m.status for m in await Merchant.filter(id__in=ids)} == {ACTIVE}
    assert await MERCHANT_STATES.update(Merchant.filter(id__in=ids), "APPROVE") == 0
