"""The events of an order's life that other features react to, inside the order's own
transaction: paid, cancelled (unpaid), completed, picked up, a line refunded; and the
zone rules checked at checkout.

Consignment (vouchers, units, queue matching), distribution (commissions, claims, grades),
membership, risk control and franchise stores react here as named steps of these
`Reactions`; `wiring.py` adds them in their order. The order code only announces the
event (`PAID.run(PaidOrder(...), conn)`): it imports none of them. If a step raises, the
payment / completion / refund is rolled back as a whole, so money and reactions never
disagree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.orders import Order, OrderLine
from services.core.errors import DomainError, ErrorCode
from services.core.hooks import Provider, Reactions, Registry


@dataclass(frozen=True)
class CheckoutLine:
    """What a zone rule sees of one line being bought."""

    sku_id: int
    product_id: int
    merchant_id: int
    zone: str
    quantity: int
    unit_price: int
    key: str = ""  # the pipeline's line key ("" : the SKU id)
    gift: bool = False  # a free line added by a gift promotion (MKT-2)


@dataclass(frozen=True)
class PaidProduct:
    """What the paid steps read of a line's product, read by the payment with the lines."""

    id: int
    distribution_enabled: bool
    distribution_rates: dict
    vouchers_per_unit: int
    voucher_product_id: int | None
    gift_grade: str


@dataclass(frozen=True)
class PaidOrder:
    """An order that has just been paid, with what the payment read in doing so: every step
    reads from here instead of querying again. `lines`: the order's lines (by id);
    `products`: their products; `merchant_kind`: the merchant's kind (SELF_OPERATED ...);
    `accounts`: ledger account ids the payment posted to, by key (services.ledger's AccountKey),
    for the steps that move money on from them."""

    order: Order
    lines: tuple[OrderLine, ...]
    products: Mapping[int, PaidProduct]
    merchant_kind: str
    accounts: Mapping[tuple, int] = field(default_factory=dict)

    def lines_in(self, zones: Iterable[str] | None = None) -> list[OrderLine]:
        wanted = None if zones is None else set(zones)
        return [ln for ln in self.lines if wanted is None or ln.zone in wanted]


@dataclass(frozen=True)
class LineRefund:
    order: Order
    line: OrderLine
    quantity: int
    amount: int  # fen refunded for this line (shipping excluded)


ZoneRule = Callable[[int, list[OrderLine], Any], Awaitable[None]]  # (buyer_id, the zone's new order lines, conn)

PAID: Reactions[PaidOrder] = Reactions("order paid")
CANCELLED: Reactions[Order] = Reactions("unpaid order cancelled")  # by the buyer, an admin or the time-out
COMPLETED: Reactions[Order] = Reactions("order completed")
PICKED_UP: Reactions[Order] = Reactions("order picked up")  # store staff verified the pickup code
LINE_REFUNDED: Reactions[LineRefund] = Reactions("order line refunded")
# zone -> the rule checked at checkout for that zone's lines, once the order lines exist
# (inside the checkout's transaction: a refusal rolls everything back). A zone without a
# rule in `ZONES_NOT_YET_AVAILABLE` is refused rather than sold at the wrong terms.
ZONE_RULES: Registry[ZoneRule] = Registry("zone rule")
ZONES_NOT_YET_AVAILABLE: tuple[str, ...] = ()
# Zones whose lines hold no stock (a payment taken at a store, STO-1): cancelling releases none.
UNSTOCKED_ZONES: set[str] = set()

ALL_REACTIONS = (PAID, CANCELLED, COMPLETED, PICKED_UP, LINE_REFUNDED)


@dataclass(frozen=True)
class DeliveryQuote:
    """A store's offer to deliver a checkout's goods of its merchant to an address (STO-5)."""

    store: Any  # the Store row
    distance_m: int
    fee: int  # the trip's fee before the free-over rule, fen
    free_over: int  # goods at or above this deliver free (0: never)
    min_order: int  # goods below this are refused (BELOW_MINIMUM_ORDER)


# (merchant id, store id, the buyer's address or None) -> the quote, or a DomainError
# (services.stores.delivery.quote, plugged in by wiring.py).
STORE_DELIVERY_QUOTE: Provider[Callable[[int, int, Any], Awaitable[DeliveryQuote]]] = Provider("store delivery quote")


async def not_yet_available(buyer_id: int, lines: list[OrderLine], conn: Any) -> None:
    zone = lines[0].zone
    raise DomainError(
        ErrorCode.ZONE_REQUIREMENT_NOT_MET,
        f"Products of the {zone} zone cannot be bought yet: their zone's requirement is not available.",
        "items",
    )


async def run_zone_rules(buyer_id: int, lines: list[OrderLine], conn: Any) -> None:
    by_zone: dict[str, list[OrderLine]] = {}
    for line in lines:
        by_zone.setdefault(line.zone, []).append(line)
    for zone, zone_lines in sorted(by_zone.items()):
        rule = ZONE_RULES.get(zone)
        if rule is not None:
            await rule(buyer_id, zone_lines, conn)
