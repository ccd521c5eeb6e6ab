"""What one typical order costs the database: the SQL statements of placeOrder + payWithWallet,
counted through Tortoise's log (tests/querycount.py), so a change that adds round trips to the
busiest path fails here with the list of statements.

The order: one buyer with wallet money under a referral chain of three distributors (all three
levels earn), one third-party merchant, two lines of two products."""

from __future__ import annotations

import uuid

import settings
from models.distribution import Commission
from models.orders import OutboundMessage
from services.ledger import ledger
from tests.api.test_distribution import buyer_under_three_levels
from tests.catalog_factories import make_product, sku
from tests.helpers import gid, token_for
from tests.order_factories import make_shop
from tests.querycount import count_queries

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id status } orders { id status } errors { code } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { payment { id status } errors { code } } }"

# Statements per request, through Tortoise's log (BEGIN / COMMIT / SAVEPOINT are not logged).
# Before the lean order (d17b461): 17 and 59 on both databases. On PostgreSQL the payment's
# journal reads the clearing account in the statement that moves the other balances. The
# checkout's 11th reads the buyer's usable coupons (the pricing pipeline picks the best).
PLACE_BUDGET = 11
PAY_BUDGET = 19 if settings.IS_POSTGRES else 20


def listing(statements: list[str]) -> str:
    return "\n".join(f"{i:3d} {s[:400]}" for i, s in enumerate(statements, 1))


async def test_place_and_pay_of_a_typical_order_costs_few_statements(api):
    admin, buyer, address = await buyer_under_three_levels()
    merchant, _, (first,) = await make_shop(price=2_000, stock=10)
    second_product = await make_product(merchant, title="第二件", skus=[sku(price=3_000, stock=10)])
    (second,) = await second_product.skus.all()
    token = await token_for(buyer)
    order = {
        "idempotencyKey": uuid.uuid4().hex,
        "addressId": gid(address),
        "items": [{"skuId": gid("Sku", first.id), "quantity": 2}, {"skuId": gid("Sku", second.id), "quantity": 1}],
    }
    # Warm: the accounts the payment posts to exist from the first order on.
    warm = (await api(PLACE, {"input": {**order, "idempotencyKey": uuid.uuid4().hex}}, token=token))["placeOrder"]
    assert (await api(PAY, {"id": warm["payment"]["id"]}, token=token))["payWithWallet"]["errors"] == []

    with count_queries() as placing:
        placed = (await api(PLACE, {"input": order}, token=token))["placeOrder"]
    assert placed["errors"] == [], placed
    with count_queries() as paying:
        paid = (await api(PAY, {"id": placed["payment"]["id"]}, token=token))["payWithWallet"]
    assert paid["errors"] == [] and paid["payment"]["status"] == "PAID", paid

    assert await Commission.all().count() == 2 * 2 * 3  # two orders, two lines, three levels
    assert await OutboundMessage.all().count() == 2 * 2  # buyer and merchant, per order
    assert await ledger.check_invariants() == []
    print(f"placeOrder {placing.count}, payWithWallet {paying.count}")
    assert placing.count <= PLACE_BUDGET, listing(placing.statements)
    assert paying.count <= PAY_BUDGET, listing(paying.statements)
