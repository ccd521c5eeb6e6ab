"""Store delivery (STO-5) through GraphQL: a store sets its radius, fee rule and minimum order;
checkout accepts store delivery for it; staff dispatch and (own riders) move the statuses, or
the dev provider moves itself; the buyer sees dispatched -> picked up -> delivered live; an
address 1 m beyond the radius is refused, as are addresses without coordinates and orders below
the minimum, with stable codes and nothing changed."""

from __future__ import annotations

import math
import uuid

from models.catalog import Sku
from models.deliveries import StoreDelivery
from models.orders import Order, Payment
from services.core import events
from services.core.geo import EARTH_RADIUS_M
from services.ledger import ledger
from services.stores import delivery, delivery_providers
from tests.api.test_order_subscriptions import subscribe
from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener
from tests.catalog_factories import make_merchant, make_product, sku
from tests.helpers import gid, make_user, pk_of, token_for
from tests.order_factories import fund_wallet, make_store

RULE = """mutation($s: ID!, $i: StoreDeliveryRuleInput!) { setStoreDeliveryRule(storeId: $s, input: $i) {
  rule { radiusMeters baseFee { amount } perKmFee { amount } freeOver { amount } minOrder { amount } } errors { code field } } }"""
SHOW_RULE = "query($s: ID!) { storeDeliveryRule(storeId: $s) { radiusMeters isActive } }"
ADDRESS = """mutation($a: AddressInput!) { createAddress(input: $a) { address { id latitude longitude } errors { code field } } }"""
PREVIEW = """query($i: CheckoutPreviewInput!) { checkoutPreview(input: $i) { orders { shippingFee { amount } payAmount { amount } } } }"""
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id } orders { id deliveryType shippingFee { amount } status } errors { code field } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { errors { code } } }"
DELIVERY_FIELDS = "status provider distanceMeters fee { amount } order { id status }"
SHOW = "query($o: ID!) { orderStoreDelivery(orderId: $o) { %s } }" % DELIVERY_FIELDS
DISPATCH = (
    'mutation($o: ID!) { dispatchStoreDelivery(orderId: $o, riderName: "小王") { delivery { %s } errors { code field } } }'
    % DELIVERY_FIELDS
)
MOVE = (
    "mutation($o: ID!, $s: StoreDeliveryStatus!) { updateStoreDelivery(orderId: $o, status: $s) { delivery { %s } errors { code field } } }"
    % DELIVERY_FIELDS
)
CANCEL = "mutation($o: ID!) { cancelStoreDelivery(orderId: $o) { delivery { status } errors { code field } } }"
LIVE = "subscription($o: ID!) { storeDeliveryUpdates(orderId: $o) { status order { status } } }"
ADD_STAFF = "mutation($s: ID!, $u: ID!) { addStoreStaff(storeId: $s, userId: $u) { staff { id } errors { code } } }"
GRANT = """mutation($s: ID!, $u: ID!, $p: [String!]!) { setStoreStaffPermissions(storeId: $s, userId: $u, permissions: $p) {
  staff { permissions } errors { code } } }"""

RADIUS = 3000


def north_of(lat: float, lng: float, metres: float) -> tuple[float, float]:
    """The point `metres` due north (along the meridian the haversine distance is exact)."""
    return lat + math.degrees(metres / EARTH_RADIUS_M), lng


async def deliverer(api):
    """A merchant's store delivering within 3 km: 5.00 + 1.00 per started km, free from 200.00,
    from 30.00; a rider (store.delivery); a buyer with wallet money; a product at 50.00."""
    merchant = await make_merchant(shipping_fee=1200)
    store = await make_store(merchant)
    owner = await token_for(await merchant.owner)
    rule = {"radiusMeters": RADIUS, "baseFee": "5.00", "perKmFee": "1.00", "freeOver": "200.00", "minOrder": "30.00"}
    set_rule = (await api(RULE, {"s": gid(store), "i": rule}, token=owner))["setStoreDeliveryRule"]
    assert set_rule["errors"] == [] and set_rule["rule"]["freeOver"] == {"amount": "200.00"}
    product = await make_product(merchant, skus=[sku(price=5000, stock=10)])
    sku_row = await Sku.get(product_id=product.id)
    rider = await make_user("骑手")
    await api(ADD_STAFF, {"s": gid(store), "u": gid(rider)}, token=owner)
    assert (await api(GRANT, {"s": gid(store), "u": gid(rider), "p": ["store.delivery"]}, token=owner))[
        "setStoreStaffPermissions"
    ]["errors"] == []
    buyer = await make_user("顾客")
    await fund_wallet(buyer, 100_000)
    return {"merchant": merchant, "store": store, "owner": owner, "sku": sku_row, "rider": rider, "buyer": buyer}


async def address(api, token, at: tuple[float, float] | None):
    data = {"recipient": "张三", "phone": "+8613900000000", "provinceCode": "330000", "cityCode": "330100",
            "countyCode": "330106", "detail": "文三路 9 号"}  # fmt: skip
    if at is not None:
        data |= {"latitude": at[0], "longitude": at[1]}
    created = (await api(ADDRESS, {"a": data}, token=token))["createAddress"]
    assert created["errors"] == []
    return created["address"]["id"]


def place_input(s, address_id, quantity=1, key=None):
    return {
        "idempotencyKey": key or uuid.uuid4().hex,
        "items": [{"skuId": gid(s["sku"]), "quantity": quantity}],
        "addressId": address_id,
        "storeDeliveries": [{"merchantId": gid(s["merchant"]), "storeId": gid(s["store"])}],
    }


async def test_a_store_delivery_moves_through_dispatched_picked_up_delivered_seen_live(app, api):
    s = await deliverer(api)
    buyer_token, rider_token = await token_for(s["buyer"]), await token_for(s["rider"])
    lat, lng = s["store"].latitude, s["store"].longitude
    home = await address(api, buyer_token, north_of(lat, lng, 2500))  # 2.5 km: three started km
    assert (await api(SHOW_RULE, {"s": gid(s["store"])}))["storeDeliveryRule"] == {
        "radiusMeters": RADIUS,
        "isActive": True,
    }

    preview = {"items": [{"skuId": gid(s["sku"]), "quantity": 1}], "addressId": home,
               "storeDeliveries": [{"merchantId": gid(s["merchant"]), "storeId": gid(s["store"])}]}  # fmt: skip
    shown = (await api(PREVIEW, {"i": preview}, token=buyer_token))["checkoutPreview"]["orders"]
    assert shown == [{"shippingFee": {"amount": "8.00"}, "payAmount": {"amount": "58.00"}}]  # 5.00 + 3 x 1.00
    placed = (await api(PLACE, {"input": place_input(s, home)}, token=buyer_token))["placeOrder"]
    assert placed["errors"] == []
    (order,) = placed["orders"]
    assert order["deliveryType"] == "STORE_DELIVERY" and order["shippingFee"] == {"amount": "8.00"}
    assert (await api(PAY, {"id": placed["payment"]["id"]}, token=buyer_token))["payWithWallet"]["errors"] == []
    pending = (await api(SHOW, {"o": order["id"]}, token=buyer_token))["orderStoreDelivery"]
    assert pending == {"status": "PENDING", "provider": "riders", "distanceMeters": 2500, "fee": {"amount": "8.00"},
                       "order": {"id": order["id"], "status": "PAID"}}  # fmt: skip
    # another customer sees nothing of it
    stranger = await token_for(await make_user("路人"))
    assert await api.error_code(SHOW, {"o": order["id"]}, token=stranger) == "NOT_FOUND"
    refused = (await api(DISPATCH, {"o": order["id"]}, token=stranger))["dispatchStoreDelivery"]
    assert refused["errors"][0]["code"] == "FORBIDDEN"

    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(buyer_token)
        await subscribe(ws, LIVE, {"o": order["id"]})
        await wait_for_listener(events.user_channel(s["buyer"].id))
        dispatched = (await api(DISPATCH, {"o": order["id"]}, token=rider_token))["dispatchStoreDelivery"]
        assert dispatched["errors"] == [] and dispatched["delivery"]["status"] == "DISPATCHED"
        assert (await c.recv())["payload"]["data"]["storeDeliveryUpdates"] == {
            "status": "DISPATCHED",
            "order": {"status": "PAID"},
        }
        moved = (await api(MOVE, {"o": order["id"], "s": "PICKED_UP"}, token=rider_token))["updateStoreDelivery"]
        assert moved["errors"] == []
        assert (await c.recv())["payload"]["data"]["storeDeliveryUpdates"] == {
            "status": "PICKED_UP",
            "order": {"status": "SHIPPED"},
        }
        moved = (await api(MOVE, {"o": order["id"], "s": "DELIVERED"}, token=rider_token))["updateStoreDelivery"]
        assert moved["errors"] == []
        assert (await c.recv())["payload"]["data"]["storeDeliveryUpdates"] == {
            "status": "DELIVERED",
            "order": {"status": "DELIVERED"},
        }
    # a status already reached, or a cancel after pick-up: refused, nothing changed
    again = (await api(MOVE, {"o": order["id"], "s": "DELIVERED"}, token=rider_token))["updateStoreDelivery"]
    assert again["errors"] == [{"code": "INVALID_TRANSITION", "field": ["status"]}]
    late = (await api(CANCEL, {"o": order["id"]}, token=rider_token))["cancelStoreDelivery"]
    assert late["errors"] == [{"code": "INVALID_TRANSITION", "field": ["status"]}]
    assert (await Order.get(id=pk_of(order["id"]))).status == "DELIVERED"
    assert await ledger.check_invariants() == []


async def test_an_address_1m_beyond_the_radius_is_refused_and_bad_choices_change_nothing(api):
    s = await deliverer(api)
    token = await token_for(s["buyer"])
    lat, lng = s["store"].latitude, s["store"].longitude
    beyond = await address(api, token, north_of(lat, lng, RADIUS + 1))
    edge = await address(api, token, north_of(lat, lng, RADIUS - 1))
    nowhere = await address(api, token, None)
    before = (await Payment.all().count(), await Order.all().count(), (await Sku.get(id=s["sku"].id)).stock)

    cases = [
        (place_input(s, beyond), {"code": "OUT_OF_DELIVERY_RANGE", "field": ["addressId"]}),
        (place_input(s, nowhere), {"code": "STORE_DELIVERY_UNAVAILABLE", "field": ["addressId"]}),
        ({**place_input(s, edge), "addressId": None}, {"code": "ADDRESS_REQUIRED", "field": ["addressId"]}),
    ]
    small = await make_product(s["merchant"], title="小件", skus=[sku(price=1000, stock=10)])
    small_sku = await Sku.get(product_id=small.id)
    below = place_input(s, edge)
    below["items"] = [{"skuId": gid(small_sku), "quantity": 2}]  # 20.00 < 30.00
    cases.append((below, {"code": "BELOW_MINIMUM_ORDER", "field": ["storeDeliveries"]}))
    other_store = await make_store(await make_merchant())
    wrong = {
        **place_input(s, edge),
        "storeDeliveries": [{"merchantId": gid(s["merchant"]), "storeId": gid(other_store)}],
    }
    cases.append((wrong, {"code": "INVALID_STORE", "field": ["storeDeliveries"]}))
    for data, error in cases:
        refused = (await api(PLACE, {"input": data}, token=token))["placeOrder"]
        assert refused["errors"] == [error], data
    assert (await Payment.all().count(), await Order.all().count(), (await Sku.get(id=s["sku"].id)).stock) == before

    # 1 m inside the radius is delivered; 200.00 of goods deliver free
    placed = (await api(PLACE, {"input": place_input(s, edge, quantity=4)}, token=token))["placeOrder"]
    assert placed["errors"] == [] and placed["orders"][0]["shippingFee"] == {"amount": "0.00"}
    # a store that stopped delivering
    owner_rule = {"radiusMeters": RADIUS, "isActive": False}
    assert (await api(RULE, {"s": gid(s["store"]), "i": owner_rule}, token=s["owner"]))["setStoreDeliveryRule"][
        "errors"
    ] == []
    stopped = (await api(PLACE, {"input": place_input(s, edge)}, token=token))["placeOrder"]
    assert stopped["errors"] == [{"code": "STORE_DELIVERY_UNAVAILABLE", "field": ["storeDeliveries"]}]
    # bad rules and bad coordinates
    bad = (await api(RULE, {"s": gid(s["store"]), "i": {"radiusMeters": 0}}, token=s["owner"]))["setStoreDeliveryRule"]
    assert bad["errors"] == [{"code": "INVALID_INPUT", "field": ["radiusMeters"]}]
    customer = (await api(RULE, {"s": gid(s["store"]), "i": {"radiusMeters": 10}}, token=token))["setStoreDeliveryRule"]
    assert customer["errors"][0]["code"] == "FORBIDDEN"
    half = {"recipient": "张三", "phone": "+8613900000000", "provinceCode": "330000", "cityCode": "330100",
            "countyCode": "330106", "detail": "x", "latitude": 30.0}  # fmt: skip
    assert (await api(ADDRESS, {"a": half}, token=token))["createAddress"]["errors"][0]["code"] == "INVALID_COORDINATES"


async def test_the_dev_provider_moves_itself_through_the_statuses(api):
    s = await deliverer(api)
    delivery_providers.provider.set(delivery_providers.DevProvider())
    try:
        token, rider_token = await token_for(s["buyer"]), await token_for(s["rider"])
        home = await address(api, token, north_of(s["store"].latitude, s["store"].longitude, 800))
        placed = (await api(PLACE, {"input": place_input(s, home)}, token=token))["placeOrder"]
        await api(PAY, {"id": placed["payment"]["id"]}, token=token)
        order_id = placed["orders"][0]["id"]
        assert (await api(DISPATCH, {"o": order_id}, token=rider_token))["dispatchStoreDelivery"]["errors"] == []
        # staff do not move a provider's delivery
        refused = (await api(MOVE, {"o": order_id, "s": "PICKED_UP"}, token=rider_token))["updateStoreDelivery"]
        assert refused["errors"] == [{"code": "INVALID_TRANSITION", "field": ["status"]}]
        assert await delivery.advance_dev_deliveries() == 1
        assert (await StoreDelivery.get(order_id=pk_of(order_id))).status == "PICKED_UP"
        assert await delivery.advance_dev_deliveries() == 1
        assert (await StoreDelivery.get(order_id=pk_of(order_id))).status == "DELIVERED"
        assert await delivery.advance_dev_deliveries() == 0
        assert (await Order.get(id=pk_of(order_id))).status == "DELIVERED"
    finally:
        delivery_providers.provider.set(None)


async def test_a_dispatch_not_picked_up_may_be_cancelled_and_dispatched_again(api):
    s = await deliverer(api)
    token, rider_token = await token_for(s["buyer"]), await token_for(s["rider"])
    home = await address(api, token, north_of(s["store"].latitude, s["store"].longitude, 100))
    placed = (await api(PLACE, {"input": place_input(s, home)}, token=token))["placeOrder"]
    await api(PAY, {"id": placed["payment"]["id"]}, token=token)
    order_id = placed["orders"][0]["id"]
    await api(DISPATCH, {"o": order_id}, token=rider_token)
    assert (await api(CANCEL, {"o": order_id}, token=rider_token))["cancelStoreDelivery"] == {
        "delivery": {"status": "CANCELLED"},
        "errors": [],
    }
    again = (await api(DISPATCH, {"o": order_id}, token=rider_token))["dispatchStoreDelivery"]
    assert again["errors"] == [] and again["delivery"]["status"] == "DISPATCHED"
