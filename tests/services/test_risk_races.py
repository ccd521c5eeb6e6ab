"""Risk-control races on PostgreSQL (skipped on SQLite, whose writers are serialised anyway):
a release racing a reject of the same case, concurrent hits opening one case, and a hit
joining a case while it is being decided. Exactly one decision wins; no commission is left
HELD without an open case; the ledger's invariants hold."""

from __future__ import annotations

import asyncio

from models.accounts import User
from models.distribution import Commission
from models.risk import RiskAudit, RiskCase, RiskHold
from services.accounts.access import Grants
from services.core.errors import DomainError
from services.distribution import commissions
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Purpose
from services.orders import payments
from services.risk import control as risk
from tests.conftest import requires_postgres
from tests.helpers import make_user
from tests.order_factories import make_buyer, make_shop, place

pytestmark = requires_postgres

ADMIN = Grants(platform={"distribution.manage", "risk.manage"})
ROUNDS = 8


async def _setup(max_orders: int = 1):
    await commissions.update_settings(
        ADMIN, 0, levels=1, rules=[(1, "FIXED", 1000)], self_purchase=False, freeze_days=0
    )
    await risk.create_rule(
        ADMIN, None, "ORDER_VELOCITY", {"max_orders": max_orders, "window_minutes": 60, "per": ["BUYER"]}
    )
    merchant, _, [sku] = await make_shop(price=10_000, stock=1000)
    return merchant, sku


async def _buyer(upline):
    buyer, address = await make_buyer("买家", wallet=1_000_000)
    await User.filter(id=buyer.id).update(upline_id=upline.id)
    return buyer, address


async def _buy(buyer, address, sku):
    placed = await place(buyer, address, [(sku.id, 1)])
    await payments.pay_with_wallet(buyer.id, placed.payment.id)


async def _assert_no_orphan_holds() -> None:
    held = set(await Commission.filter(status="HELD").values_list("id", flat=True))
    open_holds = set(
        await RiskHold.filter(subject_kind="COMMISSION", case__status="OPEN").values_list("subject_id", flat=True)
    )
    assert held <= open_holds, held - open_holds


async def test_release_racing_reject_has_exactly_one_winner():
    merchant, sku = await _setup()
    upline = await make_user("上级")
    for _ in range(ROUNDS):
        buyer, address = await _buyer(upline)
        await _buy(buyer, address, sku)
        await _buy(buyer, address, sku)
        case = await RiskCase.get(subject_user_id=buyer.id, status="OPEN")
        results = await asyncio.gather(
            risk.decide(ADMIN, 1, case.id, True, "ok"),
            risk.decide(ADMIN, 2, case.id, False, "fraud"),
            return_exceptions=True,
        )
        errors = [r for r in results if isinstance(r, Exception)]
        assert (
            len(errors) == 1 and isinstance(errors[0], DomainError) and errors[0].code.value == "INVALID_TRANSITION"
        ), results
        case = await RiskCase.get(id=case.id)
        expected = "PENDING" if case.status == "RELEASED" else "REJECTED"
        assert set(await Commission.filter(buyer_id=buyer.id).values_list("status", flat=True)) == {expected}
        assert await RiskAudit.filter(case_id=case.id).count() == 1
    rejected = await Commission.filter(status="REJECTED").count()
    booked = 2 * ROUNDS * 1000
    assert (await ledger.user_account(upline.id, Purpose.COMMISSION_PENDING)).balance == booked - rejected * 1000
    assert (
        await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)
    ).balance == 2 * ROUNDS * 10_000 - booked + rejected * 1000
    await _assert_no_orphan_holds()
    assert await ledger.check_invariants() == []


async def test_concurrent_hits_open_one_case():
    merchant, sku = await _setup()
    upline = await make_user("上级")
    for _ in range(ROUNDS):
        buyer, address = await _buyer(upline)
        await _buy(buyer, address, sku)
        await asyncio.gather(_buy(buyer, address, sku), _buy(buyer, address, sku))
        [case] = await RiskCase.filter(subject_user_id=buyer.id)
        assert case.status == "OPEN" and case.hit_count == 2
        assert set(await Commission.filter(buyer_id=buyer.id).values_list("status", flat=True)) == {"HELD"}
    assert await risk.pending_review_count() == ROUNDS
    await _assert_no_orphan_holds()
    assert await ledger.check_invariants() == []


async def test_a_hit_joining_a_case_being_decided_leaves_nothing_held_without_a_case():
    merchant, sku = await _setup()
    upline = await make_user("上级")
    for i in range(ROUNDS):
        buyer, address = await _buyer(upline)
        await _buy(buyer, address, sku)
        await _buy(buyer, address, sku)
        case = await RiskCase.get(subject_user_id=buyer.id, status="OPEN")
        await asyncio.gather(_buy(buyer, address, sku), risk.decide(ADMIN, 1, case.id, i % 2 == 0, "decided"))
        await _assert_no_orphan_holds()
    assert await ledger.check_invariants() == []
