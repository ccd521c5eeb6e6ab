"""Promotions (MKT-2, MKT-6): 满减 tiers, 满件折 tiers and limited-time prices, by the platform
(admins with `marketing.manage`, platform-funded) or by a merchant for its own goods (its
`merchant.marketing` staff, merchant-funded). The pricing pipeline applies every ACTIVE
promotion within its schedule to every checkout, preview and cart (`active_offers`).

Gift promotions (满赠, GIFT): tiers "goods at least X -> SKU s, quantity q free"; the checkout
adds the gift as a free line (services.orders.checkout), its stock reserved and released
like any line; a merchant gives only its own SKUs.

States as coupon templates: DRAFT -> ACTIVE <-> PAUSED, any -> ENDED (one conditional UPDATE
each).

`active_offers` is read at every checkout: the ACTIVE promotions are cached in the process
for `PROMOTION_CACHE_SECONDS` and dropped at once when this process changes one; another
process sees a change within that time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from models.catalog import Product, Sku
from models.marketing import Promotion
from services.accounts.access import Grants
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.core.states import StateMachine, Transition
from services.marketing import offers
from services.marketing.coupon_templates import (  # promotions live in the templates' states
    ACTIVE,
    DRAFT,
    ENDED,
    PAUSED,
    ScopeData,
    authorize,
    check_issuer,
    check_scope,
    managed,
    scope_of,
)

KINDS = (offers.FULL_REDUCTION, offers.QUANTITY_DISCOUNT, offers.LIMITED_PRICE, offers.GIFT)
PROMOTION_STATES = StateMachine(
    "promotion",
    {
        "ACTIVATE": Transition({DRAFT, PAUSED}, ACTIVE),
        "PAUSE": Transition(ACTIVE, PAUSED),
        "END": Transition({DRAFT, ACTIVE, PAUSED}, ENDED),
    },
    touch="updated_at",
    field="id",
)
CACHE_SECONDS = 5.0
GIFT_ZONE = "NORMAL"
MAX_PRICES = 200


@dataclass(frozen=True)
class PromotionData:
    name: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    merchant_id: int | None = None  # None: the platform's
    tiers: tuple[tuple[int, int], ...] = ()  # (threshold, value): fen / fen off, or units / bp off
    gifts: tuple[tuple[int, int, int], ...] = ()  # GIFT tiers: (threshold fen, gift SKU id, quantity)
    sku_prices: dict[int, int] = field(default_factory=dict)  # LIMITED_PRICE: SKU id -> unit price
    product_prices: dict[int, int] = field(default_factory=dict)  # ... product id -> unit price
    scope: ScopeData = field(default_factory=ScopeData)
    priority: int = 0
    exclusive: bool = False
    activate: bool = True  # ACTIVE at once, else DRAFT


def offer_of(row: Promotion) -> offers.Promotion:
    """The pricing pipeline's Promotion of a stored one."""
    prices = row.prices or {}
    return offers.Promotion(
        id=row.id,
        kind=row.kind,
        funder=row.merchant_id,
        scope=scope_of(row.scope or {}),
        tiers=tuple(
            offers.Tier(int(t["threshold"]), int(t["value"]), _gift_of(t.get("gift"))) for t in row.tiers or ()
        ),
        sku_prices={int(k): int(v) for k, v in prices.get("skus", {}).items()},
        product_prices={int(k): int(v) for k, v in prices.get("products", {}).items()},
        priority=row.priority,
        exclusive=row.exclusive,
    )


def _gift_of(stored: dict | None) -> offers.Gift | None:
    if not stored:
        return None
    return offers.Gift(
        sku_id=int(stored["sku"]),
        product_id=int(stored["product"]),
        merchant_id=int(stored["merchant"]),
        quantity=int(stored["quantity"]),
        unit_price=int(stored["price"]),  # the price when created; the checkout prices it afresh
        zone=stored.get("zone", "NORMAL"),
    )


def gift_sku_ids(promotions: list[offers.Promotion]) -> list[int]:
    """The SKUs the GIFT promotions may give."""
    ids = {t.gift.sku_id for p in promotions if p.kind == offers.GIFT for t in p.tiers if t.gift}
    return sorted(ids)


async def _gift_tiers(data: PromotionData) -> list[dict]:
    """GIFT tiers as stored: each names an existing SKU of the NORMAL zone, a merchant's its
    own (FORBIDDEN)."""
    if data.kind != offers.GIFT:
        if data.gifts:
            raise DomainError(ErrorCode.INVALID_INPUT, "Only a gift promotion gives gifts.", "tiers")
        return [{"threshold": t, "value": v} for t, v in data.tiers]
    if data.tiers:
        raise DomainError(ErrorCode.INVALID_INPUT, "A gift promotion's tiers name gifts.", "tiers")
    skus = {s.id: s for s in await Sku.filter(id__in=[sku for _, sku, _ in data.gifts]).select_related("product")}
    tiers = []
    for threshold, sku_id, quantity in data.gifts:
        sku = skus.get(sku_id)
        if sku is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such SKU.", "tiers")
        if data.merchant_id is not None and sku.product.merchant_id != data.merchant_id:
            raise DomainError(ErrorCode.FORBIDDEN, "A merchant gives only its own goods.", "tiers")
        if sku.product.zone != GIFT_ZONE:  # no zone rules, no consignment, no vouchers for a gift
            raise DomainError(ErrorCode.INVALID_INPUT, f"A gift is a {GIFT_ZONE}-zone product.", "tiers")
        gift = {
            "sku": sku.id,
            "product": sku.product_id,
            "merchant": sku.product.merchant_id,
            "quantity": quantity,
            "price": sku.price,
            "zone": sku.product.zone,
        }
        tiers.append({"threshold": threshold, "value": 0, "gift": gift})
    return tiers


async def _check_prices(data: PromotionData) -> None:
    """Limited-time prices name existing SKUs and products, a merchant's its own."""
    if len(data.sku_prices) + len(data.product_prices) > MAX_PRICES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_PRICES} prices.", "prices")
    owners: dict[int, int] = {}
    if data.sku_prices:
        owners |= dict(await Sku.filter(id__in=list(data.sku_prices)).values_list("id", "product__merchant_id"))
        if len(owners) != len(data.sku_prices):
            raise DomainError(ErrorCode.NOT_FOUND, "No such SKU.", "prices")
    if data.product_prices:
        found = dict(await Product.filter(id__in=list(data.product_prices)).values_list("id", "merchant_id"))
        if len(found) != len(data.product_prices):
            raise DomainError(ErrorCode.NOT_FOUND, "No such product.", "prices")
        owners |= {-k: v for k, v in found.items()}
    if data.merchant_id is not None and set(owners.values()) - {data.merchant_id}:
        raise DomainError(ErrorCode.FORBIDDEN, "A merchant's promotion prices only its own goods.", "prices")


async def create(grants: Grants, actor_id: int | None, data: PromotionData) -> Promotion:
    """Raises FORBIDDEN, NOT_FOUND, MERCHANT_NOT_ACTIVE, INVALID_INPUT, INVALID_AMOUNT,
    INVALID_RATE, INVALID_DATE_RANGE; nothing is written then."""
    name = await check_issuer(grants, data.merchant_id, data.name)
    if data.kind not in KINDS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"A promotion is one of {', '.join(KINDS)}.", "kind")
    if data.ends_at <= data.starts_at or data.ends_at <= clock.now():
        raise DomainError(ErrorCode.INVALID_DATE_RANGE, "A promotion ends after it starts, in the future.", "endsAt")
    scope = await check_scope(data.scope, data.merchant_id)
    await _check_prices(data)
    tiers = await _gift_tiers(data)
    row = Promotion(
        merchant_id=data.merchant_id,
        name=name,
        kind=data.kind,
        tiers=tiers,
        prices={
            "skus": {str(k): v for k, v in sorted(data.sku_prices.items())},
            "products": {str(k): v for k, v in sorted(data.product_prices.items())},
        },
        scope=scope,
        priority=data.priority,
        exclusive=data.exclusive,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        status=ACTIVE if data.activate else DRAFT,
        created_by_id=actor_id,
    )
    offers.check_promotion(offer_of(row))  # tiers rising, amounts and rates, the merchant's own scope
    await row.save()
    forget()
    return row


async def for_staff(grants: Grants, promotion_id: int) -> Promotion:
    row = await Promotion.get_or_none(id=promotion_id)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such promotion.", "id")
    authorize(grants, row.merchant_id)
    return row


async def change_status(grants: Grants, promotion_id: int, action: str) -> Promotion:
    """ACTIVATE, PAUSE or END (INVALID_TRANSITION from a state that does not allow it)."""
    async with unit_of_work() as conn:
        row = await for_staff(grants, promotion_id)
        await PROMOTION_STATES.apply(row, action, conn=conn)
    forget()
    return row


def promotions_for_staff(grants: Grants, merchant_id: int | None, status: str | None = None):
    return managed(Promotion, grants, merchant_id, status)


_cache: tuple[float, list[Promotion]] | None = None


def forget() -> None:
    """Drop the cached promotions (a change in this process; tests between databases)."""
    global _cache
    _cache = None


async def active_offers() -> list[offers.Promotion]:
    """The promotions every checkout prices now: ACTIVE and within their schedule."""
    global _cache
    if _cache is None or _cache[0] <= time.monotonic():
        rows = await Promotion.filter(status=ACTIVE, ends_at__gt=clock.now()).order_by("id")
        _cache = (time.monotonic() + CACHE_SECONDS, rows)
    now = clock.now()
    return [offer_of(row) for row in _cache[1] if row.starts_at <= now < row.ends_at]
