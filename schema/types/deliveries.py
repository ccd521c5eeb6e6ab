"""Store delivery types (STO-5): a store's delivery rule, an order's store delivery and its
statuses, the inputs and payloads."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from models import deliveries as m
from models.orders import Order as OrderRow
from schema.errors import UserError
from schema.money import Amount, Money
from schema.node import Node, node_id
from schema.types.orders import Order


@strawberry.enum(description="Where a store delivery is.")
class StoreDeliveryStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Paid, awaiting dispatch by the store.")
    DISPATCHED = strawberry.enum_value("DISPATCHED", description="Handed to the rider or provider.")
    PICKED_UP = strawberry.enum_value("PICKED_UP", description="The rider has the goods (the order is shipped).")
    DELIVERED = strawberry.enum_value("DELIVERED", description="Handed to the buyer (the order is delivered).")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Called off before pick-up; may be dispatched again.")


@strawberry.type(description="Where and at what fee a store delivers (STO-5).")
class StoreDeliveryRule:
    is_active: bool = strawberry.field(description="False: the store does not deliver now.")

    @strawberry.field(description="It delivers to addresses at most this far from the store, metres.")
    def radius_meters(self: m.StoreDeliveryRule) -> int:
        return self.radius_m

    @strawberry.field(description="The fee's base.")
    def base_fee(self: m.StoreDeliveryRule) -> Money:
        return Money.from_fen(self.base_fee)

    @strawberry.field(description="Added per started kilometre of distance.")
    def per_km_fee(self: m.StoreDeliveryRule) -> Money:
        return Money.from_fen(self.per_km_fee)

    @strawberry.field(description="Goods at or above this deliver free (0.00: never free).")
    def free_over(self: m.StoreDeliveryRule) -> Money:
        return Money.from_fen(self.free_over)

    @strawberry.field(description="Goods below this are not delivered.")
    def min_order(self: m.StoreDeliveryRule) -> Money:
        return Money.from_fen(self.min_order)


@strawberry.type(description="The delivery of an order by its store (STO-5).")
class StoreDelivery(Node):
    id: strawberry.ID = node_id("StoreDelivery", description="Store delivery id.")
    provider: str = strawberry.field(description="Who carries it: riders (the store's own), dev, or a provider.")
    rider_name: str = strawberry.field(description="The store's rider, if named at dispatch.")
    dispatched_at: datetime | None = strawberry.field(description="When it was dispatched.")
    picked_up_at: datetime | None = strawberry.field(description="When the rider picked the goods up.")
    delivered_at: datetime | None = strawberry.field(description="When it was delivered.")
    cancelled_at: datetime | None = strawberry.field(description="When it was last cancelled.")

    @strawberry.field(description="Where it is.")
    def status(self: m.StoreDelivery) -> StoreDeliveryStatus:
        return StoreDeliveryStatus(self.status)

    @strawberry.field(description="From the store to the address, metres.")
    def distance_meters(self: m.StoreDelivery) -> int:
        return self.distance_m

    @strawberry.field(description="What the buyer paid for it.")
    def fee(self: m.StoreDelivery) -> Money:
        return Money.from_fen(self.fee)

    @strawberry.field(description="The order delivered.")
    async def order(self: m.StoreDelivery) -> Order | None:
        return await OrderRow.get_or_none(id=self.order_id)


@strawberry.input(description="A store's delivery rule.")
class StoreDeliveryRuleInput:
    radius_meters: int = strawberry.field(description="1 to 50000 metres from the store.")
    base_fee: Amount | None = strawberry.field(default=None, description="The fee's base, 0 to 1000.00 (omitted: 0).")
    per_km_fee: Amount | None = strawberry.field(default=None, description="Per started kilometre, 0 to 1000.00.")
    free_over: Amount | None = strawberry.field(
        default=None, description="Goods at or above this deliver free; 0: never."
    )
    min_order: Amount | None = strawberry.field(default=None, description="The least goods it delivers.")
    is_active: bool = strawberry.field(default=True, description="False: stop delivering.")


@strawberry.type(description="Outcome of setting a store's delivery rule.")
class StoreDeliveryRulePayload:
    rule: StoreDeliveryRule | None = strawberry.field(default=None, description="The rule.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of dispatching, moving or cancelling a store delivery.")
class StoreDeliveryPayload:
    delivery: StoreDelivery | None = strawberry.field(default=None, description="The delivery as it is now.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")
