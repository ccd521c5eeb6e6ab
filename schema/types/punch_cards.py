"""Punch card types (STO-3): a REDEEMABLE product's punch-card terms, a customer's card, its
one-time code and the payloads. They resolve from the model rows."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from models import stores as m
from schema.errors import UserError
from schema.money import Money
from schema.node import Node, node_id, ref
from schema.types.orders import Refund
from services.stores import card_math


@strawberry.type(description="What one unit of a punch-card product holds.")
class PunchCardTerms:
    @strawberry.field(description="The product.")
    def product_id(self: m.PunchCardTerms) -> strawberry.ID:
        return ref("Product")(self.product_id)

    @strawberry.field(description="Uses per unit bought.")
    def uses(self: m.PunchCardTerms) -> int:
        return self.uses

    @strawberry.field(description="Days valid from payment.")
    def valid_days(self: m.PunchCardTerms) -> int:
        return self.valid_days


@strawberry.enum(description="Where a punch card is in its life.")
class PunchCardStatus(Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Uses left (unless expired: see expiresAt).")
    USED_UP = strawberry.enum_value("USED_UP", description="Every use redeemed.")
    REFUNDED = strawberry.enum_value("REFUNDED", description="Its unused uses were refunded.")


@strawberry.type(description="A customer's punch card (次卡): N uses of a service item, each redeemed at a store.")
class PunchCard(Node):
    id: strawberry.ID = node_id("PunchCard")

    @strawberry.field(description="What it is for (the product's title when bought).")
    def title(self: m.PunchCard) -> str:
        return self.title

    @strawberry.field(description="Usable, used up or refunded.")
    def status(self: m.PunchCard) -> PunchCardStatus:
        return PunchCardStatus(self.status)

    @strawberry.field(description="Uses it holds in all.")
    def uses_total(self: m.PunchCard) -> int:
        return self.uses_total

    @strawberry.field(description="Uses redeemed.")
    def uses_used(self: m.PunchCard) -> int:
        return self.uses_used

    @strawberry.field(description="Uses left.")
    def uses_left(self: m.PunchCard) -> int:
        return 0 if self.status == "REFUNDED" else self.uses_total - self.uses_used

    @strawberry.field(description="Usable until (exclusive).")
    def expires_at(self: m.PunchCard) -> datetime:
        return self.expires_at

    @strawberry.field(description="What was paid for it.")
    def price(self: m.PunchCard) -> Money:
        return Money.from_fen(self.price)

    @strawberry.field(description="What a refund of the unused uses would give back now (pro rata).")
    def refundable_amount(self: m.PunchCard) -> Money:
        if self.status != "ACTIVE":
            return Money.from_fen(0)
        return Money.from_fen(card_math.unused_refund(self.price, self.uses_total, self.uses_used))

    @strawberry.field(description="The order it was bought with.")
    def order_id(self: m.PunchCard) -> strawberry.ID:
        return ref("Order")(self.order_id)


@strawberry.type(description="A one-time code for one use: the customer's phone shows it, store staff scan it.")
class PunchCardCode:
    @strawberry.field(description="The code (12 digits).")
    def code(self: m.PunchCardCode) -> str:
        return self.code

    @strawberry.field(description="Redeem before this; then ask for a new one.")
    def expires_at(self: m.PunchCardCode) -> datetime:
        return self.expires_at


@strawberry.type(description="Outcome of setting a product's punch-card terms.")
class PunchCardTermsPayload:
    terms: PunchCardTerms | None = strawberry.field(default=None, description="The terms.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of asking for a one-time code.")
class PunchCardCodePayload:
    code: PunchCardCode | None = strawberry.field(default=None, description="The code.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of a redemption or a refund of a punch card.")
class PunchCardPayload:
    card: PunchCard | None = strawberry.field(default=None, description="The card as it is now.")
    refund: Refund | None = strawberry.field(default=None, description="The refund booked (refunds only).")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")
