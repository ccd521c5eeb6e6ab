"""ORD-8 live: the buyer's order updates and the merchant's feed, over WebSocket."""

from __future__ import annotations

import json

from services.catalog import stock
from services.core import events
from services.orders import after_sales, payments
from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener
from tests.catalog_factories import make_staff
from tests.helpers import gid, make_user, token_for
from tests.order_factories import make_buyer, make_shop, place

MY_UPDATES = "subscription { myOrderUpdates { fromStatus status order { id status payAmount { amount } } } }"
MERCHANT = "subscription($m: ID!) { merchantEvents(merchantId: $m) { kind order { id status } afterSale { id status quantity } sku { id stock } product { id } } }"


async def subscribe(ws, query, variables=None):
    await ws.send_text(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
    )


async def test_buyer_sees_own_order_status_changes(app):
    buyer, address = await make_buyer(wallet=10_000)
    other, other_address = await make_buyer(wallet=10_000)
    _, _, (sku,) = await make_shop(price=1200)
    mine = await place(buyer, address, [(sku.id, 1)])
    theirs = await place(other, other_address, [(sku.id, 1)])
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(await token_for(buyer))
        await subscribe(ws, MY_UPDATES)
        await wait_for_listener(events.user_channel(buyer.id))
        await payments.pay_with_wallet(other.id, theirs.payment.id)
        await payments.pay_with_wallet(buyer.id, mine.payment.id)
        message = await c.recv()
        update = message["payload"]["data"]["myOrderUpdates"]
        assert update == {
            "fromStatus": "AWAITING_PAYMENT",
            "status": "PAID",
            "order": {"id": gid(mine.orders[0]), "status": "PAID", "payAmount": {"amount": "12.00"}},
        }


async def test_merchant_feed_new_orders_and_low_stock_by_permission(app):
    buyer, address = await make_buyer(wallet=100_000)
    merchant, _, (sku,) = await make_shop(price=1000, stock=8)  # merchant low-stock threshold: 5
    orders_staff = await make_staff(merchant, ["merchant.orders"])
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(await token_for(orders_staff))
        await subscribe(ws, MERCHANT, {"m": gid(merchant)})
        await wait_for_listener(events.merchant_channel(merchant.id))
        placed = await place(buyer, address, [(sku.id, 4)])  # stock 8 -> 4: low stock, not for this staff member
        await payments.pay_with_wallet(buyer.id, placed.payment.id)
        kinds = []
        for _ in range(2):
            event = (await c.recv())["payload"]["data"]["merchantEvents"]
            kinds.append(event["kind"])
            assert event["order"]["id"] == gid(placed.orders[0])
        assert sorted(kinds) == ["NEW_ORDER", "ORDER_STATUS"]

        line = await placed.orders[0].lines.all().first()
        request = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "不想要了")
        event = (await c.recv())["payload"]["data"]["merchantEvents"]
        assert event["kind"] == "AFTER_SALE_REQUESTED" and event["order"]["id"] == gid(placed.orders[0])
        assert event["afterSale"] == {"id": gid(request), "status": "PENDING_REVIEW", "quantity": 1}

    products_staff = await make_staff(merchant, ["merchant.products"])
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(await token_for(products_staff))
        await subscribe(ws, MERCHANT, {"m": gid(merchant)})
        await wait_for_listener(events.merchant_channel(merchant.id))
        await stock.adjust_stock(sku.id, 10, stock.RESTOCK)
        await stock.adjust_stock(sku.id, -12, stock.ADJUST)  # 14 -> 2: crosses the threshold
        event = (await c.recv())["payload"]["data"]["merchantEvents"]
        assert event == {
            "kind": "LOW_STOCK",
            "order": None,
            "afterSale": None,
            "sku": {"id": gid(sku), "stock": 2},
            "product": {"id": gid("Product", sku.product_id)},
        }


async def test_merchant_feed_is_refused_to_outsiders(app):
    merchant, _, _ = await make_shop()
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(await token_for(await make_user()))
        await subscribe(ws, MERCHANT, {"m": gid(merchant)})
        message = await c.recv()
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"
