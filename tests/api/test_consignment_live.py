"""CON-9 live in one process: my queue positions move as units ahead sell, and I hear of
my sale the moment it happens. (Across processes: tests/api/test_consignment_multiprocess.py.)"""

from __future__ import annotations

import json

from models.consignment import WholesaleUnit
from services.consignment import queue as consignment
from services.orders import payments
from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener
from tests.helpers import gid, token_for
from tests.order_factories import make_buyer, make_consignment_pair, place
from tests.querycount import count_queries

POSITIONS = (
    "subscription($p: ID!) { myQueuePositions(productId: $p) { positions { position unit { id } } soldUnitIds } }"
)
SALES = "subscription { myConsignmentSales { id status sale { proceeds { amount } buyerNickname } } }"


async def _sellers_with_units(retail, wholesale, names, count=1):
    """Every seller buys its retail units (earning vouchers) before anyone consigns, so no
    seller's own retail purchase drains the queue being built."""
    sellers = []
    for name in names:
        seller, address = await make_buyer(name, wallet=100_000)
        first = await place(seller, address, [(retail.id, count)])
        await payments.pay_with_wallet(seller.id, first.payment.id)
        sellers.append((seller, address))
    for seller, address in sellers:
        second = await place(seller, address, [(wholesale.id, count)], consign_wholesale=True)
        await payments.pay_with_wallet(seller.id, second.payment.id)
    return [seller for seller, _ in sellers]


async def _retail_sale(retail):
    buyer, address = await make_buyer("买家", wallet=100_000)
    placed = await place(buyer, address, [(retail.id, 1)])
    await payments.pay_with_wallet(buyer.id, placed.payment.id)


async def test_position_goes_3_2_1_sold_without_queries(app):
    _, retail, wholesale = await make_consignment_pair(retail_price=1000, wholesale_price=300, vouchers=1)
    *others, me = await _sellers_with_units(retail, wholesale, ["s0", "s1", "me"])
    mine = await WholesaleUnit.get(owner_id=me.id)
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(await token_for(me))
        await ws.send_text(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": POSITIONS, "variables": {"p": gid("Product", wholesale.product_id)}},
                }
            )
        )
        first = (await c.recv())["payload"]["data"]["myQueuePositions"]
        assert first == {"positions": [{"position": 3, "unit": {"id": gid(mine)}}], "soldUnitIds": []}
        await wait_for_listener(consignment.queue_channel(wholesale.product_id))
        seen = []
        for _ in range(3):
            await _retail_sale(retail)
            with count_queries() as counter:
                update = (await c.recv())["payload"]["data"]["myQueuePositions"]
            assert counter.count == 0  # the position is computed from the event alone
            seen.append([p["position"] for p in update["positions"]] or update["soldUnitIds"])
        assert seen == [[2], [1], [gid(mine)]]
    assert len(others) == 2


async def test_seller_hears_of_the_sale(app):
    _, retail, wholesale = await make_consignment_pair(retail_price=1000, wholesale_price=300, vouchers=1)
    [me] = await _sellers_with_units(retail, wholesale, ["me"])
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(await token_for(me))
        await ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SALES}}))
        from services.core.events import user_channel

        await wait_for_listener(user_channel(me.id))
        await _retail_sale(retail)
        sold = (await c.recv())["payload"]["data"]["myConsignmentSales"]
        assert sold["status"] == "MATCHED" and sold["sale"]["proceeds"] == {"amount": "8.00"}
        assert sold["sale"]["buyerNickname"] == "买*"
