"""Flash sales (MKT-3): the day's sessions with their items and states, a server time to count
down against, the buy mutation's input, management inputs and per-session statistics."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from schema.errors import UserError
from schema.money import Amount, Money
from schema.node import Node, node_id, ref
from schema.types.catalog import Product
from schema.types.orders import PickupChoiceInput
from services.marketing import flash as svc

_sku_ref = ref("Sku")
_product_ref = ref("Product")
_merchant_ref = ref("Merchant")
_session_ref = ref("FlashSession")


@strawberry.enum(description="Where a flash session or item is, now.")
class FlashState(Enum):
    UPCOMING = strawberry.enum_value("UPCOMING", description="Not open yet: count down to startsAt.")
    ON = strawberry.enum_value("ON", description="Open, units left.")
    SOLD_OUT = strawberry.enum_value(
        "SOLD_OUT", description="Open, no unit left (a unit of an unpaid order may come back)."
    )
    ENDED = strawberry.enum_value("ENDED", description="Over (or cancelled).")


@strawberry.type(description="A SKU on flash sale in a session: its flash price, flash stock and per-user limit.")
class FlashItem(Node):
    view: strawberry.Private[svc.ItemView]

    id: strawberry.ID = node_id("FlashItem", "view.item.id", description="The flash item's id.")

    @strawberry.field(description="Its session.")
    def session_id(self) -> strawberry.ID:
        return _session_ref(self.view.item.session_id)

    @strawberry.field(description="The SKU sold.")
    def sku_id(self) -> strawberry.ID:
        return _sku_ref(self.view.item.sku_id)

    @strawberry.field(description="The SKU's product.")
    async def product(self, info: Info) -> Product:
        return await info.context.loaders.product.load(self.view.item.product_id)

    @strawberry.field(description="The merchant selling it.")
    def merchant_id(self) -> strawberry.ID:
        return _merchant_ref(self.view.item.merchant_id)

    @strawberry.field(description="The price of one unit during the session.")
    def flash_price(self) -> Money:
        return Money.from_fen(self.view.item.flash_price)

    @strawberry.field(description="Flash units in all (apart from the SKU's own stock).")
    def stock(self) -> int:
        return self.view.item.stock

    @strawberry.field(description="Flash units not held by an order (live: the flashStock subscription).")
    def left(self) -> int:
        return self.view.left

    @strawberry.field(description="Units one buyer may hold.")
    def per_user_limit(self) -> int:
        return self.view.item.per_user_limit

    @strawberry.field(description="Where the item is now.")
    def state(self) -> FlashState:
        return FlashState(self.view.state)


@strawberry.type(description="A flash-sale session (秒杀): a time slot whose items sell at flash prices.")
class FlashSession(Node):
    view: strawberry.Private[svc.SessionView]

    id: strawberry.ID = node_id("FlashSession", "view.session.id", description="The session's id.")

    @strawberry.field(description="Its name.")
    def name(self) -> str:
        return self.view.session.name

    @strawberry.field(description="When it opens.")
    def starts_at(self) -> datetime:
        return self.view.session.starts_at

    @strawberry.field(description="When it closes (exclusive).")
    def ends_at(self) -> datetime:
        return self.view.session.ends_at

    @strawberry.field(description="Where it is now (SOLD_OUT: every item is).")
    def state(self) -> FlashState:
        return FlashState(self.view.state)

    @strawberry.field(description="Withdrawn by the platform (its state is then ENDED).")
    def cancelled(self) -> bool:
        return self.view.session.status == svc.CANCELLED

    @strawberry.field(description="Its items.")
    def items(self) -> list[FlashItem]:
        return [FlashItem(view=v) for v in self.view.items]


@strawberry.type(description="A business day's flash sessions and the server's time to count down against.")
class FlashSchedule:
    server_time: datetime = strawberry.field(description="The server's time now: count down from it, not the device's.")
    day: date = strawberry.field(description="The business day shown.")
    sessions: list[FlashSession] = strawberry.field(description="Its sessions, by start.")


@strawberry.type(description="A flash item's units left, pushed as they change (at most a few times a second).")
class FlashStock:
    item_id: strawberry.ID = strawberry.field(description="The flash item.")
    left: int = strawberry.field(description="Units left.")
    state: FlashState = strawberry.field(description="Where the item is now.")


@strawberry.input(description="Buy a flash item: admitted before anything else, then the normal checkout.")
class BuyFlashInput:
    flash_item_id: strawberry.ID = strawberry.field(description="The flash item.")
    idempotency_key: str = strawberry.field(description="Client-made unique key (1-64 chars), as for placeOrder.")
    quantity: int = strawberry.field(default=1, description="Units (within the item's per-user limit).")
    address_id: strawberry.ID | None = strawberry.field(
        default=None, description="Delivery address, needed unless picked up at a store."
    )
    pickup_stores: list[PickupChoiceInput] = strawberry.field(
        default_factory=list, description="Pick the goods up at a store of the merchant."
    )
    note: str = strawberry.field(default="", description="Note to the merchant, at most 256 characters.")
    coupon_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="As placeOrder: the coupons to use; null: the best; empty: none."
    )
    coins: int = strawberry.field(default=0, description="Shopping coins to spend, as placeOrder.")


@strawberry.input(description="A new flash session in a daily time slot (business time zone).")
class FlashSessionInput:
    name: str = strawberry.field(description="1 to 64 characters, e.g. 10点场.")
    day: date = strawberry.field(description="The business day.")
    slot: str = strawberry.field(description='Its start, business time, "HH:MM" (e.g. "10:00", "14:00", "20:00").')
    duration_minutes: int = strawberry.field(default=120, description="How long it is open, 1 to 1440 minutes.")


@strawberry.input(description="A SKU put on flash sale in a session.")
class FlashItemInput:
    session_id: strawberry.ID = strawberry.field(description="The session (not over).")
    sku_id: strawberry.ID = strawberry.field(description="The SKU (listed retail goods; a merchant's own).")
    flash_price: Amount = strawberry.field(description="The unit price, above 0 and below the SKU's price.")
    stock: int = strawberry.field(description="Flash units, 1 to 1,000,000, apart from the SKU's stock.")
    per_user_limit: int = strawberry.field(default=1, description="Units one buyer may hold, 1 to 100.")


@strawberry.type(description="Outcome of a flash session change.")
class FlashSessionPayload:
    session: FlashSession | None = strawberry.field(default=None, description="The session after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of a flash item change.")
class FlashItemPayload:
    item: FlashItem | None = strawberry.field(default=None, description="The item after the change.")
    session: FlashSession | None = strawberry.field(default=None, description="Its session after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="One flash item's figures.")
class FlashItemStats:
    item_id: strawberry.ID = strawberry.field(description="The flash item.")
    sku_id: strawberry.ID = strawberry.field(description="Its SKU.")
    attempts: int = strawberry.field(description="Buy attempts, won or refused.")
    winners: int = strawberry.field(description="Buyers holding units (unpaid or paid orders).")
    held: int = strawberry.field(description="Units held by orders.")
    paid_units: int = strawberry.field(description="Units of paid orders.")
    gmv: Money = strawberry.field(description="What the paid flash lines paid.")
    discount_cost: Money = strawberry.field(description="Below the list price on the paid units.")


@strawberry.type(description="A flash session's figures, per item (a merchant sees its own items).")
class FlashSessionStats:
    session_id: strawberry.ID = strawberry.field(description="The session.")
    items: list[FlashItemStats] = strawberry.field(description="Per item.")
    attempts: int = strawberry.field(description="Buy attempts in all.")
    winners: int = strawberry.field(description="Buyers holding units, summed over items.")
    paid_units: int = strawberry.field(description="Units of paid orders.")
    gmv: Money = strawberry.field(description="What the paid flash lines paid.")
    discount_cost: Money = strawberry.field(description="Below the list price on the paid units.")

    @classmethod
    def of(cls, session_id: int, stats: list[svc.ItemStats]) -> FlashSessionStats:
        return cls(
            session_id=_session_ref(session_id),
            items=[
                FlashItemStats(
                    item_id=ref("FlashItem")(s.item.id),
                    sku_id=_sku_ref(s.item.sku_id),
                    attempts=s.attempts,
                    winners=s.winners,
                    held=s.held,
                    paid_units=s.paid_units,
                    gmv=Money.from_fen(s.gmv),
                    discount_cost=Money.from_fen(s.discount_cost),
                )
                for s in stats
            ],
            attempts=sum(s.attempts for s in stats),
            winners=sum(s.winners for s in stats),
            paid_units=sum(s.paid_units for s in stats),
            gmv=Money.from_fen(sum(s.gmv for s in stats)),
            discount_cost=Money.from_fen(sum(s.discount_cost for s in stats)),
        )
