"""Checkout (ORD-2, ORD-3): one call makes one Payment and one Order per merchant.

Everything happens in one unit of work, in this order:
1. the Payment row is inserted first: a key used before fails on its unique index (a
   concurrent request with the same key blocks there) and the first checkout is replayed;
2. stock is reserved for all lines at once (services.catalog.stock.reserve: conditional
   UPDATEs, products locked in id order so concurrent checkouts cannot deadlock);
3. purchase limits are counted after the product locks, so two racing checkouts of one
   buyer cannot both slip under the limit.
Any failure rolls everything back: no payment, no order, no stock taken.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cache

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.functions import Sum

import settings
from models.accounts import Address, User
from models.catalog import Product, Sku
from models.merchants import Merchant, Store
from models.orders import CartItem, Order, OrderLine, Payment
from services.accounts import referral
from services.catalog import stock
from services.catalog.limits import MAX_STOCK
from services.catalog.product_states import LISTED, PHYSICAL
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.core.sql import columns, instance, sql
from services.marketing import activities, coins, coupons, offers, pipeline, points_mall, promotions
from services.membership import membership
from services.merchants import merchants
from services.orders import hooks as order_hooks
from services.orders import pricing
from services.orders.states import CANCELLED, EXPRESS, PICKUP, STORE_DELIVERY, VIRTUAL

MAX_LINES = 50
MAX_KEY_LENGTH = 64


@dataclass(frozen=True)
class LineRequest:
    sku_id: int
    quantity: int


@dataclass(frozen=True)
class CheckoutRequest:
    idempotency_key: str
    items: tuple[LineRequest, ...] | None = None  # None: the cart's selected items
    address_id: int | None = None  # for merchants delivered by express
    pickup_stores: dict[int, int] = field(default_factory=dict)  # merchant id -> store id
    note: str = ""
    invite_code: str = ""  # the link the buyer came through (FIRST_ORDER binding)
    consign_wholesale: bool = False  # consign wholesale units as soon as they are paid (CON-2)
    # The buyer's coupons to use (user coupon ids); None: the best choice among those usable
    # (services.marketing.pipeline), (): none.
    coupon_ids: tuple[int, ...] | None = None
    coins: int = 0  # shopping coins to spend (MKT-4), within the caps
    shipping_in_points: bool = False  # the points mall: pay the shipping in points (MKT-4)
    store_deliveries: dict[int, int] = field(default_factory=dict)  # merchant id -> store delivering (STO-5)
    # An activity's line (MKT-3: a flash item won at admission): the only line bought, at the
    # activity's price (services.marketing.activities); `items` is then ignored.
    activity: activities.Ticket | None = None

    def fingerprint(self, items: list[LineRequest]) -> str:
        body = json.dumps(
            [
                sorted((i.sku_id, i.quantity) for i in items),
                self.address_id,
                sorted(self.pickup_stores.items()),
                self.note,
                self.consign_wholesale,
                None if self.coupon_ids is None else sorted(self.coupon_ids),
                self.coins,
                self.shipping_in_points,
                *([sorted(self.store_deliveries.items())] if self.store_deliveries else []),
                None if self.activity is None else [self.activity.kind, self.activity.activity_id],
                *([self.activity.target_id] if self.activity is not None and self.activity.target_id else []),
            ],
            separators=(",", ":"),
        )
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Placed:
    payment: Payment
    orders: list[Order]
    replayed: bool = False


def new_number(prefix: str = "") -> str:
    """Time-ordered, unguessable order / payment numbers (22 digits)."""
    return f"{prefix}{clock.now():%y%m%d%H%M%S}{secrets.randbelow(10**10):010d}"


def _merge(items: list[LineRequest]) -> list[LineRequest]:
    merged: dict[int, int] = {}
    for item in items:
        if not isinstance(item.quantity, int) or item.quantity <= 0 or item.quantity > MAX_STOCK:
            raise DomainError(ErrorCode.INVALID_QUANTITY, "Quantities are whole numbers of at least 1.", "items")
        merged[item.sku_id] = merged.get(item.sku_id, 0) + item.quantity
    return [LineRequest(sku_id, qty) for sku_id, qty in merged.items()]


async def _requested_items(buyer_id: int, request: CheckoutRequest) -> list[LineRequest]:
    if request.activity is not None:
        return _merge([LineRequest(request.activity.sku_id, request.activity.quantity)])
    if request.items is None:
        rows = await CartItem.filter(user_id=buyer_id, selected=True).order_by("id").values_list("sku_id", "quantity")
        items = [LineRequest(sku_id, qty) for sku_id, qty in rows]
    else:
        items = list(request.items)
    if not items:
        raise DomainError(ErrorCode.CART_EMPTY, "Nothing to buy: select some items first.", "items")
    if len(items) > MAX_LINES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_LINES} different items per checkout.", "items")
    return _merge(items)


async def _replay(buyer_id: int, key: str, fingerprint: str) -> Placed:
    payment = await Payment.get(buyer_id=buyer_id, idempotency_key=key)
    if payment.request_hash != fingerprint:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was used for a different checkout.",
            "idempotencyKey",
        )
    orders = await Order.filter(payment_id=payment.id).order_by("id")
    return Placed(payment, orders, replayed=True)


def _address_snapshot(address: Address) -> dict:
    return {
        "recipient": address.recipient,
        "province_code": address.province_code,
        "city_code": address.city_code,
        "county_code": address.county_code,
        "region_name": address.region_name,
        "detail": address.detail,
        "postal_code": address.postal_code,
        **({"latitude": address.latitude, "longitude": address.longitude} if address.latitude is not None else {}),
    }


def all_virtual(skus) -> bool:
    """STO-6: every SKU's product needs no delivery (VIRTUAL or REDEEMABLE): no address, no store."""
    return all(s.product.delivery_kind != PHYSICAL for s in skus)


def sellable_problem(sku: Sku, now) -> tuple[ErrorCode, str] | None:
    """Why a SKU cannot be bought right now, or None (shared with the cart's checks)."""
    product = sku.product
    if not sku.is_active or product.status != LISTED or product.merchant.status != merchants.ACTIVE:
        return ErrorCode.PRODUCT_UNAVAILABLE, f"{product.title} is not on sale."
    if (product.zone_starts_at and now < product.zone_starts_at) or (
        product.zone_ends_at and now >= product.zone_ends_at
    ):
        return ErrorCode.ZONE_NOT_OPEN, f"{product.title} is not on sale at this time."
    return None


async def bought_quantities(
    buyer_id: int, product_ids: list[int], conn=None, *, besides_payment: int | None = None
) -> dict[int, int]:
    """Units of each product the buyer has ordered and not had cancelled or refunded
    (besides those of the payment being placed)."""
    query = OrderLine.filter(order__buyer_id=buyer_id, product_id__in=product_ids).exclude(order__status=CANCELLED)
    if besides_payment is not None:
        query = query.exclude(order__payment_id=besides_payment)
    if conn is not None:
        query = query.using_db(conn)
    rows = (
        await query.group_by("product_id")
        .annotate(q=Sum("quantity"), r=Sum("refunded_quantity"))
        .values_list("product_id", "q", "r")
    )
    return {pid: int(q or 0) - int(r or 0) for pid, q, r in rows}


async def place_order(
    buyer_id: int, request: CheckoutRequest, *, confirm_buyer: Callable[[], Awaitable[None]] | None = None
) -> Placed:
    """Place the buyer's checkout. `confirm_buyer`: for an activity's checkout, a check of the
    buyer run once the activity's gate admitted them, before any other statement (buyFlash
    reads the session only then); its refusal gives the gate's take back."""
    key = (request.idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"An idempotency key of 1 to {MAX_KEY_LENGTH} characters is required.",
            "idempotencyKey",
        )
    if len(request.note) > 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "The note is at most 256 characters.", "note")
    ticket = request.activity
    if ticket is None:
        if confirm_buyer is not None:
            await confirm_buyer()
        items = await _requested_items(buyer_id, request)
        return await _place_once(buyer_id, request, key, items)
    # MKT-3: an activity's gate first (a flash sale's Redis script): its losers are answered
    # before any database statement. A retry of a flash checkout that succeeded is such a
    # loser (LIMIT_REACHED), not a replay: the order is in the buyer's orders.
    activity = activities.activity(ticket.kind)
    admitted = await activity.admit(buyer_id, ticket)
    try:
        if confirm_buyer is not None:
            await confirm_buyer()
        if not ticket.sku_id:  # the activity knows its SKU
            ticket = replace(ticket, sku_id=(await activity.grant(buyer_id, ticket)).sku_id)
            request = replace(request, activity=ticket)
        placed = await _place_once(buyer_id, request, key, await _requested_items(buyer_id, request))
    except BaseException as exc:
        if admitted:
            await activity.undo(buyer_id, ticket, exc)
        raise
    if placed.replayed and admitted:  # the first checkout holds its units: this attempt's go back
        await activity.undo(buyer_id, ticket, None)
    return placed


async def _place_once(buyer_id: int, request: CheckoutRequest, key: str, items: list[LineRequest]) -> Placed:
    fingerprint = request.fingerprint(items)
    try:
        gone: frozenset[int] = frozenset()
        for attempt in range(MAX_GIFT_RETRIES + 1):
            try:
                placed = await _place(buyer_id, request, key, fingerprint, items, gone)
                break
            except _GiftGone as e:  # rolled back: place again without those gifts
                if attempt == MAX_GIFT_RETRIES:
                    raise DomainError(ErrorCode.INSUFFICIENT_STOCK, "A gift ran out; try again.", "items") from e
                gone |= e.promotion_ids
    except (DomainError, IntegrityError):
        # No pre-check: a key used before fails the payment's INSERT on its unique index (a
        # concurrent request with it waits there, then fails), or an earlier check refuses
        # what was bought then: either way the first checkout is answered.
        if await Payment.exists(buyer_id=buyer_id, idempotency_key=key):
            return await _replay(buyer_id, key, fingerprint)
        raise
    await _bind_on_first_order(buyer_id, placed.payment.id, request.invite_code)
    return placed


@cache
def _skus_sql() -> str:
    return (
        f"SELECT {columns(Sku, 's')}, {columns(Product, 'p', 'p__')}, {columns(Merchant, 'm', 'm__')}, "
        "c.path AS category_path FROM sku s JOIN product p ON p.id = s.product_id "
        "JOIN merchant m ON m.id = p.merchant_id LEFT JOIN category c ON c.id = p.category_id WHERE s.id IN ({})"
    )


async def _skus(ids: list[int]) -> list[Sku]:
    """The SKUs with their product and merchant, as `select_related("product", "product__merchant")`
    reads them, and the product's category path (`product.category_path`, for coupon scopes),
    in one statement whose SQL is built once."""
    conn = connections.get("default")
    rows = await conn.execute_query_dict(sql(conn, _skus_sql().format(", ".join("?" for _ in ids))), ids)
    skus = []
    for row in rows:
        product = instance(Product, row, "p__", merchant=instance(Merchant, row, "m__"))
        product.category_path = row["category_path"] or "/"
        skus.append(instance(Sku, row, product=product))
    return skus


@dataclass(frozen=True)
class Priced:
    """A checkout priced (services.marketing.pipeline) before anything is written: what
    `checkoutPreview` shows and `placeOrder` charges, from the same call."""

    skus: dict[int, Sku]
    stores: dict[int, Store]
    lines: list[order_hooks.CheckoutLine]  # at their price (member, wholesale), before discounts
    quote: pipeline.Quote
    usable: list[offers.Coupon]  # the buyer's coupons usable now (shown by the preview)
    coin_balance: int  # the buyer's coins (read when spending, or for a preview)
    virtual: bool  # STO-6: nothing to deliver (no address, store or shipping)
    points: points_mall.PointsQuote | None = None  # a points-mall checkout's points (MKT-4)
    point_balance: int = 0  # the buyer's points (read for a points checkout)
    deliveries: dict[int, order_hooks.DeliveryQuote] = field(default_factory=dict)  # STO-5, by merchant
    grants: dict[int, activities.Grant] = field(default_factory=dict)  # SKU id -> its activity's grant
    missing_gifts: tuple[MissingGift, ...] = ()  # gifts reached but not given (MKT-2)


def _line_grant(sku: Sku, quantity: int, grant: activities.Grant | None) -> pipeline.Line:
    line = _pipeline_line(sku, quantity)
    if grant is None:
        return line
    return pipeline.Line(**{**line.__dict__, "activity_price": grant.unit_price})


# Why a gift the cart reached is not given (the checkout goes ahead without it).
GIFT_OUT_OF_STOCK = "OUT_OF_STOCK"
GIFT_NOT_ON_SALE = "NOT_ON_SALE"
GIFT_MERCHANT_NOT_IN_CHECKOUT = "MERCHANT_NOT_IN_CHECKOUT"  # no gift-only orders
MAX_GIFT_RETRIES = 3


@dataclass(frozen=True)
class MissingGift:
    promotion_id: int
    sku_id: int
    quantity: int
    reason: str


class _GiftGone(Exception):
    """A gift's stock ran out between pricing and reserving: place again without it."""

    def __init__(self, promotion_ids: frozenset[int]):
        super().__init__("gift out of stock")
        self.promotion_ids = promotion_ids


def _fresh_gift(p: offers.Promotion, skus: dict[int, Sku]) -> offers.Promotion:
    """A gift promotion with its gifts at their current list price."""
    if p.kind != offers.GIFT:
        return p
    tiers = tuple(
        replace(t, gift=replace(t.gift, unit_price=skus[t.gift.sku_id].price))
        if t.gift and t.gift.sku_id in skus
        else t
        for t in p.tiers
    )
    return replace(p, tiers=tiers)


def _gift_problem(gift: pipeline.PricedLine, sku: Sku | None, quote: pipeline.Quote, now) -> str | None:
    if not any(ln.merchant_id == gift.merchant_id and not ln.gift for ln in quote.lines):
        return GIFT_MERCHANT_NOT_IN_CHECKOUT
    if sku is None or sellable_problem(sku, now):
        return GIFT_NOT_ON_SALE
    wanted = sum(ln.quantity for ln in quote.lines if ln.sku_id == gift.sku_id and (not ln.gift or ln.key <= gift.key))
    if sku.stock < wanted:
        return GIFT_OUT_OF_STOCK
    return None


def _pipeline_line(sku: Sku, quantity: int) -> pipeline.Line:
    product = sku.product
    wholesale = product.zone == "WHOLESALE" and sku.wholesale_price is not None
    return pipeline.Line(
        key=str(sku.id),
        merchant_id=product.merchant_id,
        product_id=product.id,
        sku_id=sku.id,
        quantity=quantity,
        list_price=sku.price,
        member_price=None if wholesale else sku.member_price,  # the wholesale zone sells at its own price
        activity_price=sku.wholesale_price if wholesale else None,
        zone=product.zone,
        category_path=offers.category_ancestry(getattr(product, "category_path", "/")),
    )


async def price_checkout(
    buyer_id: int,
    request: CheckoutRequest,
    items: list[LineRequest],
    *,
    read_coins: bool = False,
    gifts_gone: frozenset[int] = frozenset(),
) -> Priced:
    """Load and check what the checkout buys, and price it: the SKUs on sale, the pickup
    stores, the member price, the buyer's usable coupons (those chosen, else the best), the
    coins to spend (the balance read when some are, or `read_coins`), the gifts of gift
    promotions reached (MKT-2): a gift that cannot be given (out of stock, off sale, or its
    merchant sells nothing in this checkout; `gifts_gone`: promotions whose gift ran out while
    placing) is left out, its promotion not applied, and said in `missing_gifts`."""
    now = clock.now()
    grants: dict[int, activities.Grant] = {}
    if request.activity is not None:  # MKT-3: the activity checks its window and limit, prices the line
        grant = await activities.activity(request.activity.kind).grant(buyer_id, request.activity)
        grants[grant.sku_id] = grant
    skus = {s.id: s for s in await _skus([i.sku_id for i in items])}
    for item in items:
        sku = skus.get(item.sku_id)
        if sku is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such SKU.", "items")
        problem = sellable_problem(sku, now)
        if problem:
            raise DomainError(problem[0], problem[1], "items")
    merchant_ids = list(dict.fromkeys(skus[i.sku_id].product.merchant_id for i in items))
    for_points = _check_points_checkout(request, [skus[i.sku_id] for i in items])
    stores = await _pickup_stores(request.pickup_stores, merchant_ids)
    # MEM-1: a valid membership buys at member prices (asked only when one of the SKUs has one)
    is_member = any(s.member_price is not None for s in skus.values()) and await membership.is_member(buyer_id)
    deliveries = await _store_deliveries(buyer_id, request, merchant_ids, stores)
    virtual = all_virtual(skus.values()) and not stores and not deliveries  # STO-6: nothing to deliver
    usable = [] if request.coupon_ids == () or for_points else await coupons.usable_offers(buyer_id)
    coin_balance = await coins.balance(buyer_id) if request.coins or read_coins else 0
    templates = {
        mid: pricing.ShippingTemplate(m.shipping_fee, m.free_shipping_threshold)
        for mid, m in {s.product.merchant_id: s.product.merchant for s in skus.values()}.items()
    }
    for mid, offer in deliveries.items():  # STO-5: the store's fee rule instead of the merchant's template
        templates[mid] = pricing.ShippingTemplate(offer.fee, offer.free_over)
    offered = [] if for_points else await promotions.active_offers()
    gift_ids = promotions.gift_sku_ids(offered)
    gift_skus = {s.id: s for s in await _skus(gift_ids)} if gift_ids else {}
    offered = [_fresh_gift(p, gift_skus) for p in offered]
    cart = [_line_grant(skus[i.sku_id], i.quantity, grants.get(i.sku_id)) for i in items]
    dropped = set(gifts_gone)
    missing: list[MissingGift] = []
    while True:
        quote = pipeline.price_cart(
            cart,
            is_member=is_member,
            promotions=[p for p in offered if p.id not in dropped],
            coupons=usable,
            chosen=request.coupon_ids,
            coins=request.coins,
            coin_balance=coin_balance,
            coin_rule=coins.rule(),
            shipping=templates,
            pickup_merchants=frozenset(merchant_ids if virtual else stores),  # nothing shipped: no shipping fee
        )
        gone = []
        for applied in quote.promotions:
            if applied.gift_key is not None:
                gift = quote.line(applied.gift_key)
                problem = _gift_problem(gift, gift_skus.get(gift.sku_id), quote, now)
                if problem:
                    gone.append(MissingGift(applied.id, gift.sku_id, gift.quantity, problem))
        if not gone:
            break
        missing += gone
        dropped |= {g.promotion_id for g in gone}  # each round drops one or more: it ends
    missing += [_gone(p) for p in offered if p.id in gifts_gone]
    points, point_balance = None, 0
    if for_points:
        quote, points = _price_points(request, items, skus, quote)
        point_balance = await points_mall.balance(buyer_id)
    for order in quote.orders:
        offer = deliveries.get(order.merchant_id)
        if offer is not None and order.goods_amount < offer.min_order:
            raise DomainError(
                ErrorCode.BELOW_MINIMUM_ORDER,
                f"{offer.store.name} delivers orders from {offer.min_order / 100:.2f}.",
                "storeDeliveries",
            )
    lines = []
    for item in items:
        sku, priced = skus[item.sku_id], quote.line(str(item.sku_id))
        lines.append(
            order_hooks.CheckoutLine(
                sku_id=sku.id,
                product_id=sku.product_id,
                merchant_id=sku.product.merchant_id,
                zone=sku.product.zone,
                quantity=item.quantity,
                unit_price=priced.goods_amount // item.quantity,
                key=priced.key,
            )
        )
    for gift in (ln for ln in quote.lines if ln.gift):
        skus.setdefault(gift.sku_id, gift_skus[gift.sku_id])
        lines.append(
            order_hooks.CheckoutLine(
                sku_id=gift.sku_id,
                product_id=gift.product_id,
                merchant_id=gift.merchant_id,
                zone=gift.zone,
                quantity=gift.quantity,
                unit_price=gift.goods_amount // gift.quantity,
                key=gift.key,
                gift=True,
            )
        )
    return Priced(
        skus,
        stores,
        lines,
        quote,
        usable,
        coin_balance,
        virtual,
        points,
        point_balance,
        deliveries,
        grants,
        tuple(missing),
    )


def _check_points_checkout(request: CheckoutRequest, skus: list[Sku]) -> bool:
    """Whether this is a points-mall checkout (MKT-4): then its goods are all points goods,
    and it spends no coins and uses no coupons (INVALID_INPUT, COUPON_NOT_APPLICABLE)."""
    zones = {s.product.zone == points_mall.ZONE for s in skus}
    if True not in zones:
        if request.shipping_in_points:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                "Only points-mall goods may have their shipping paid in points.",
                "shippingInPoints",
            )
        return False
    if False in zones:
        raise DomainError(ErrorCode.INVALID_INPUT, "Points-mall goods are checked out on their own.", "items")
    if request.coins:
        raise DomainError(ErrorCode.INVALID_INPUT, "Points-mall goods take no shopping coins.", "coins")
    if request.coupon_ids:
        raise DomainError(ErrorCode.COUPON_NOT_APPLICABLE, "Points-mall goods take no coupons.", "couponIds")
    return True


def _price_points(
    request: CheckoutRequest, items: list[LineRequest], skus: dict[int, Sku], quote: pipeline.Quote
) -> tuple[pipeline.Quote, points_mall.PointsQuote]:
    """The points of a points checkout; with the shipping paid in points, each order's
    shipping becomes a platform-funded part (the platform pays the merchant its shipping)."""
    points = points_mall.price_points(
        [
            points_mall.PointsLine(
                str(i.sku_id), skus[i.sku_id].product.merchant_id, i.quantity, skus[i.sku_id].points_price
            )
            for i in items
        ],
        {o.merchant_id: o.shipping_paid for o in quote.orders},
        shipping_in_points=request.shipping_in_points,
        points_per_yuan=settings.POINTS_SHIPPING_POINTS_PER_YUAN,
    )
    if points.shipping_cash:
        orders = tuple(
            replace(
                o,
                shipping_discounts=(
                    *o.shipping_discounts,
                    points_mall.shipping_part(points.shipping_cash[o.merchant_id]),
                ),
            )
            if o.merchant_id in points.shipping_cash
            else o
            for o in quote.orders
        )
        quote = replace(quote, orders=orders)
    return quote, points


def _gone(p: offers.Promotion) -> MissingGift:
    """A gift promotion left out because its gift ran out while placing the order."""
    gift = next(t.gift for t in p.tiers if t.gift)
    return MissingGift(p.id, gift.sku_id, gift.quantity, GIFT_OUT_OF_STOCK)


@dataclass(frozen=True)
class Preview:
    priced: Priced
    coupons: dict  # user coupon id -> UserCoupon (with its template): the usable ones


async def preview(buyer_id: int, request: CheckoutRequest) -> Preview:
    """What `place_order` would charge for this request, writing nothing (no address needed)."""
    priced = await price_checkout(buyer_id, request, await _requested_items(buyer_id, request), read_coins=True)
    return Preview(priced, await coupons.rows_of(buyer_id, [c.id for c in priced.usable]))


async def _place(
    buyer_id: int, request: CheckoutRequest, key: str, fingerprint: str, items, gifts_gone=frozenset()
) -> Placed:
    now = clock.now()
    priced = await price_checkout(buyer_id, request, items, gifts_gone=gifts_gone)
    skus, stores, lines, quote = priced.skus, priced.stores, priced.lines, priced.quote
    if priced.points is not None and priced.points.total > priced.point_balance:  # taken at payment
        raise DomainError(
            ErrorCode.INSUFFICIENT_POINTS,
            f"This checkout needs {priced.points.total} points; you hold {priced.point_balance}.",
            "items",
        )
    address = None
    virtual = priced.virtual
    if not virtual and any(o.merchant_id not in stores for o in quote.orders):
        if request.address_id is None:
            raise DomainError(ErrorCode.ADDRESS_REQUIRED, "Choose a delivery address (or pickup stores).", "addressId")
        address = await Address.get_or_none(id=request.address_id, user_id=buyer_id)
        if address is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such address.", "addressId")

    async with unit_of_work() as conn:
        payment = await Payment.create(
            payment_no=new_number("P"),
            buyer_id=buyer_id,
            amount=quote.paid,
            currency=settings.CURRENCY,
            expires_at=now + timedelta(minutes=settings.ORDER_PAY_TIMEOUT_MINUTES),
            idempotency_key=key,
            request_hash=fingerprint,
            using_db=conn,
        )
        orders = []
        for priced_order in quote.orders:
            orders.append(
                await _create_order(
                    conn,
                    payment,
                    buyer_id,
                    priced_order,
                    quote,
                    stores.get(priced_order.merchant_id),
                    address,
                    [ln for ln in lines if ln.merchant_id == priced_order.merchant_id],
                    skus,
                    request.note,
                    request.consign_wholesale,
                    virtual,
                    priced.points,
                    priced.deliveries.get(priced_order.merchant_id),
                    priced.grants,
                )
            )
        await coins.spend(buyer_id, quote.coins, payment.id, conn)
        if quote.coupons:
            order_of = {o.merchant_id: o.id for o in orders}
            await coupons.use_coupons(
                buyer_id,
                payment.id,
                [
                    coupons.CouponUse(c.id, c.goods_amount + c.shipping_amount, order_of.get(c.funder))
                    for c in quote.coupons
                ],
                conn,
            )
        # Stock after the order rows: reserving locks the product rows, which every order of
        # those products waits for, so they are held from here to the commit only. The
        # purchase limit is checked under those locks (one buyer's concurrent checkouts).
        own_stock = {sku_id for sku_id, g in priced.grants.items() if g.own_stock}
        bought = [line for line in lines if not line.gift]
        await stock.reserve(
            conn,
            [(skus[line.sku_id], line.quantity) for line in bought if line.sku_id not in own_stock],
            reference_type="PAYMENT",
            reference_id=str(payment.id),
            actor_id=buyer_id,
        )
        await _reserve_gifts(conn, payment.id, buyer_id, quote, [ln for ln in lines if ln.gift], skus)
        await _check_limits(buyer_id, payment.id, bought, skus, conn)
        for grant in priced.grants.values():  # MKT-3: the activity's units, under its own conditional UPDATE
            await activities.activity(grant.kind).hold(conn, buyer_id, grant, payment.id)
        if any(order_hooks.ZONE_RULES.get(line.zone) for line in lines):  # the rules need the rows (ids)
            created = await OrderLine.filter(order_id__in=[o.id for o in orders]).using_db(conn).order_by("id")
            await order_hooks.run_zone_rules(buyer_id, list(created), conn)
        if request.items is None:
            await CartItem.filter(user_id=buyer_id, sku_id__in=[i.sku_id for i in items]).using_db(conn).delete()
    return Placed(payment, orders)


async def _store_deliveries(
    buyer_id: int, request: CheckoutRequest, merchant_ids: list[int], pickups: dict[int, Store]
) -> dict[int, order_hooks.DeliveryQuote]:
    """STO-5: the stores delivering a merchant's goods to the checkout's address."""
    if not request.store_deliveries:
        return {}
    address = None
    if request.address_id is not None:
        address = await Address.get_or_none(id=request.address_id, user_id=buyer_id)
        if address is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such address.", "addressId")
    quotes = {}
    for merchant_id, store_id in request.store_deliveries.items():
        if merchant_id not in merchant_ids or merchant_id in pickups:
            raise DomainError(
                ErrorCode.INVALID_STORE,
                "Store delivery chosen for a merchant with nothing in this checkout, or picked up.",
                "storeDeliveries",
            )
        quotes[merchant_id] = await order_hooks.STORE_DELIVERY_QUOTE.get()(merchant_id, store_id, address)
    return quotes


async def _reserve_gifts(conn, payment_id: int, buyer_id: int, quote, gifts, skus: dict[int, Sku]) -> None:
    """The gifts' stock, one SKU at a time after the goods bought: a SKU that ran out since
    pricing fails as _GiftGone (naming the promotions giving it), and the checkout is placed
    again without them."""
    wanted: dict[int, int] = {}
    for gift in gifts:
        wanted[gift.sku_id] = wanted.get(gift.sku_id, 0) + gift.quantity
    for sku_id, quantity in sorted(wanted.items()):
        try:
            await stock.reserve(
                conn,
                [(skus[sku_id], quantity)],
                reference_type="PAYMENT",
                reference_id=str(payment_id),
                actor_id=buyer_id,
            )
        except DomainError as e:
            if e.code not in (ErrorCode.INSUFFICIENT_STOCK, ErrorCode.PRODUCT_UNAVAILABLE):
                raise
            keys = {g.key for g in gifts if g.sku_id == sku_id}
            raise _GiftGone(frozenset(p.id for p in quote.promotions if p.gift_key in keys)) from e


async def _pickup_stores(requested: dict[int, int], merchant_ids: list[int]) -> dict[int, Store]:
    stores: dict[int, Store] = {}
    for merchant_id, store_id in requested.items():
        if merchant_id not in merchant_ids:
            raise DomainError(
                ErrorCode.INVALID_STORE, "Pickup chosen for a merchant with nothing in this checkout.", "pickupStores"
            )
        store = await Store.get_or_none(id=store_id)
        if store is None or store.merchant_id != merchant_id or not store.is_active:
            raise DomainError(
                ErrorCode.INVALID_STORE, "Choose an open store of that merchant for pickup.", "pickupStores"
            )
        stores[merchant_id] = store
    return stores


async def _check_limits(buyer_id: int, payment_id: int, lines, skus: dict[int, Sku], conn) -> None:
    wanted: dict[int, int] = {}
    for line in lines:
        if skus[line.sku_id].product.purchase_limit:
            wanted[line.product_id] = wanted.get(line.product_id, 0) + line.quantity
    if not wanted:
        return
    bought = await bought_quantities(buyer_id, list(wanted), conn, besides_payment=payment_id)
    for product_id, qty in wanted.items():
        product = next(s.product for s in skus.values() if s.product_id == product_id)
        if bought.get(product_id, 0) + qty > product.purchase_limit:
            raise DomainError(
                ErrorCode.PURCHASE_LIMIT_EXCEEDED,
                f"{product.title}: at most {product.purchase_limit} per customer "
                f"(you already have {bought.get(product_id, 0)}).",
                "items",
            )


async def _pickup_code(conn, store_id: int) -> str:
    while True:
        code = f"{secrets.randbelow(10**8):08d}"
        if not await Order.filter(store_id=store_id, pickup_code=code).using_db(conn).exists():
            return code


def _part_json(part: pipeline.Part) -> dict:
    return {"source": part.source, "id": part.source_id, "funder": part.funder, "amount": part.amount}


def _platform_funded(parts) -> int:
    return sum(p.amount for p in parts if p.funder is offers.PLATFORM)


async def _create_order(
    conn,
    payment,
    buyer_id,
    priced,
    quote,
    store,
    address,
    lines,
    skus,
    note,
    consign,
    virtual=False,
    points=None,
    delivery=None,
    grants=None,
) -> Order:
    grants = grants or {}
    priced_lines = [quote.line(line.key or str(line.sku_id)) for line in lines]
    line_points = {line.sku_id: points.lines[str(line.sku_id)] if points else 0 for line in lines}
    shipping_points = points.shipping.get(priced.merchant_id, 0) if points else 0
    coins_amount = sum(pl.discount(pipeline.COINS) for pl in priced_lines)
    order = await Order.create(
        order_no=new_number(),
        payment_id=payment.id,
        buyer_id=buyer_id,
        merchant_id=priced.merchant_id,
        delivery_type=VIRTUAL if virtual else PICKUP if store else STORE_DELIVERY if delivery else EXPRESS,
        store_id=store.id if store else delivery.store.id if delivery else None,
        pickup_code=await _pickup_code(conn, store.id) if store else None,
        address=None if store or virtual else _address_snapshot(address),
        address_phone=None if store or virtual else address.phone,
        goods_amount=priced.goods_amount,
        shipping_fee=priced.shipping_fee,
        discount_amount=priced.goods_amount - priced.goods_paid - coins_amount,
        shipping_discount=priced.shipping_fee - priced.shipping_paid,
        coins=sum(pl.coins for pl in priced_lines),
        coins_amount=coins_amount,
        platform_funded=sum(_platform_funded(pl.discounts) for pl in priced_lines)
        + _platform_funded(priced.shipping_discounts),
        pay_amount=priced.paid,
        points=sum(line_points.values()) + shipping_points,
        shipping_points=shipping_points,
        currency=payment.currency,
        note=note,
        using_db=conn,
    )
    await OrderLine.bulk_create(
        [
            OrderLine(
                order_id=order.id,
                product_id=line.product_id,
                sku_id=line.sku_id,
                title=skus[line.sku_id].product.title,
                spec_text=" ".join(f"{k}:{v}" for k, v in skus[line.sku_id].spec_values.items())[:256],
                image_url=skus[line.sku_id].image_url or skus[line.sku_id].product.main_image_url,
                zone=line.zone,
                unit_price=line.unit_price,
                quantity=line.quantity,
                amount=pl.paid,
                discount_amount=pl.discount() - pl.discount(pipeline.COINS),
                coins=pl.coins,
                coins_amount=pl.discount(pipeline.COINS),
                discounts=[_part_json(p) for p in pl.discounts],
                points=line_points[line.sku_id],
                consign_on_payment=consign and line.zone == "WHOLESALE",
                activity_kind=grants[line.sku_id].kind if line.sku_id in grants else None,
                activity_id=grants[line.sku_id].activity_id if line.sku_id in grants else None,
                is_gift=line.gift,
            )
            for line, pl in zip(lines, priced_lines, strict=True)
        ],
        using_db=conn,
    )
    return order


async def _bind_on_first_order(buyer_id: int, payment_id: int, invite_code: str) -> None:
    """FIRST_ORDER binding mode (ACC-4): the first order through a link binds the upline.
    A bad or unusable code never fails the purchase itself."""
    if not invite_code or settings.REFERRAL_BINDING_MODE != "FIRST_ORDER":
        return
    buyer = await User.get(id=buyer_id)
    if buyer.upline_id is not None:
        return
    if await Order.filter(buyer_id=buyer.id).exclude(payment_id=payment_id).exists():
        return  # not the first order
    try:
        await referral.bind_upline(buyer, invite_code, source="FIRST_ORDER")
    except DomainError:
        pass
