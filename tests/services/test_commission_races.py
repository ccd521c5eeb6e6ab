"""Commission races on PostgreSQL (skipped on SQLite, whose writers are serialised anyway):
a refund, a rejection and the release job landing on the same commission at once. Whoever
wins, the money ends where the rules say, exactly once, and the ledger's invariants hold."""

from __future__ import annotations

import asyncio

from models.accounts import User
from models.distribution import Commission
from models.orders import OrderLine
from services.accounts.access import Grants
from services.core.errors import DomainError
from services.distribution import commissions
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Purpose
from services.orders import after_sales, payments
from services.orders import fulfilment as orders
from tests.catalog_factories import owner_grants
from tests.conftest import requires_postgres
from tests.helpers import make_user
from tests.order_factories import fund_wallet, make_buyer, make_shop, place

pytestmark = requires_postgres

MANAGER = Grants(platform={"distribution.manage", "order.manage"})
ROUNDS = 8


async def _completed_order(merchant, sku, upline, quantity=2):
    buyer, address = await make_buyer("买家", wallet=100_000)
    await User.filter(id=buyer.id).update(upline_id=upline.id)
    placed = await place(buyer, address, [(sku.id, quantity)])
    await payments.pay_with_wallet(buyer.id, placed.payment.id)
    order = placed.orders[0]
    await orders.ship(await owner_grants(merchant), merchant.owner_id, order.id, "SF", "SF0000001")
    await orders.confirm_receipt(buyer.id, order.id)
    line = await OrderLine.get(order_id=order.id)
    return buyer, line


async def test_refund_racing_the_release_moves_each_fen_once():
    await commissions.update_settings(
        MANAGER, 0, levels=1, rules=[(1, "FIXED", 1000)], self_purchase=False, freeze_days=0
    )
    merchant, _, [sku] = await make_shop(price=10_000, stock=100)
    upline = await make_user("上级")
    for _ in range(ROUNDS):
        buyer, line = await _completed_order(merchant, sku, upline)
        request = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "不想要了")
        await asyncio.gather(commissions.release_due(), after_sales.approve(MANAGER, 0, request.id))
        commission = await Commission.get(line_id=line.id)
        # 2000 booked; one of two units refunded: 1000 reversed, from the pending or from the wallet
        assert (commission.status, commission.reversed_amount, commission.debt_amount) == ("AVAILABLE", 1000, 0)
    assert (await ledger.user_account(upline.id, Purpose.COMMISSION_PENDING)).balance == 0
    assert (await ledger.user_account(upline.id, Purpose.WALLET)).balance == ROUNDS * 1000
    assert await ledger.check_invariants() == []


async def test_rejection_racing_the_release_has_one_winner():
    await commissions.update_settings(
        MANAGER, 0, levels=1, rules=[(1, "FIXED", 1000)], self_purchase=False, freeze_days=0
    )
    merchant, _, [sku] = await make_shop(price=10_000, stock=100)
    upline = await make_user("上级")
    await fund_wallet(upline, 1)  # the wallet account exists before the race
    for _ in range(ROUNDS):
        _, line = await _completed_order(merchant, sku, upline, quantity=1)
        commission = await Commission.get(line_id=line.id)
        results = await asyncio.gather(
            commissions.release_due(), commissions.reject(MANAGER, 0, commission.id, "risk"), return_exceptions=True
        )
        status = (await Commission.get(id=commission.id)).status
        if status == "REJECTED":
            assert results[0] == 0
        else:
            assert (
                status == "AVAILABLE"
                and isinstance(results[1], DomainError)
                and results[1].code.value == "INVALID_TRANSITION"
            )
    released = await Commission.filter(beneficiary_id=upline.id, status="AVAILABLE").count()
    assert (await ledger.user_account(upline.id, Purpose.WALLET)).balance == 1 + released * 1000
    assert (await ledger.user_account(upline.id, Purpose.COMMISSION_PENDING)).balance == 0
    rejected = ROUNDS - released
    booked = ROUNDS * 1000
    paid_in = ROUNDS * 10_000
    assert (
        await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)
    ).balance == paid_in - booked + rejected * 1000
    assert await ledger.check_invariants() == []
