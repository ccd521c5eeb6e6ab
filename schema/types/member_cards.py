"""Member card types (STO-2): a merchant's card plan and its top-up rules, a customer's card
(principal and bonus apart), its statement, and the payloads. They resolve from the model rows."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from models import stores as m
from schema.errors import UserError
from schema.money import Amount, Money
from schema.node import Node, node_id, ref
from schema.types.merchants import Store


@strawberry.input(description="A top-up rule: top up at least `topUpFrom`, get `bonus` added apart.")
class TopUpRuleInput:
    top_up_from: Amount = strawberry.field(description="The smallest top-up the rule applies to, above 0.")
    bonus: Amount = strawberry.field(description="The bonus, 0 up to the threshold.")


@strawberry.type(description="A top-up rule of a member card: the highest rule a top-up reaches gives its bonus.")
class TopUpRule:
    top_up_from: Money = strawberry.field(description="The smallest top-up the rule applies to.")
    bonus: Money = strawberry.field(description="The bonus added apart from the principal.")


@strawberry.type(description="A merchant's member card (门店会员卡): where it is accepted and its top-up rules.")
class MemberCardPlan(Node):
    id: strawberry.ID = node_id("MemberCardPlan")

    @strawberry.field(description="The card's name.")
    def name(self: m.MemberCardPlan) -> str:
        return self.name

    @strawberry.field(description="The merchant whose stores accept it.")
    def merchant_id(self: m.MemberCardPlan) -> strawberry.ID:
        return ref("Merchant")(self.merchant_id)

    @strawberry.field(description="The one store that accepts it; null: every store of the merchant.")
    async def store(self: m.MemberCardPlan, info: Info) -> Store | None:
        return None if self.store_id is None else await info.context.loaders.orders.store.load(self.store_id)

    @strawberry.field(description="The top-up rules, by threshold.")
    def top_up_rules(self: m.MemberCardPlan) -> list[TopUpRule]:
        return [TopUpRule(top_up_from=Money.from_fen(a), bonus=Money.from_fen(b)) for a, b in self.top_up_rules or []]


@strawberry.enum(description="Where a member card is in its life.")
class MemberCardStatus(Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Usable: top up and pay with it.")
    REFUNDED = strawberry.enum_value("REFUNDED", description="Its principal was refunded and its bonus forfeited.")


@strawberry.enum(description="What a line of a member card's statement records.")
class MemberCardEntryKind(Enum):
    TOP_UP = strawberry.enum_value("TOP_UP", description="Money paid onto the card, with its bonus.")
    SPEND = strawberry.enum_value("SPEND", description="A payment at a store from the card.")
    PAYMENT_REFUND = strawberry.enum_value(
        "PAYMENT_REFUND", description="A refund of a payment by the card, back onto it (refundStorePayment)."
    )
    REFUND = strawberry.enum_value("REFUND", description="The principal refunded, the bonus forfeited.")


@strawberry.type(description="A line of a member card's statement: principal and bonus apart.")
class MemberCardEntry:
    @strawberry.field(description="What happened.")
    def kind(self: m.MemberCardEntry) -> MemberCardEntryKind:
        return MemberCardEntryKind(self.kind)

    @strawberry.field(description="The change of the principal (negative: taken).")
    def principal(self: m.MemberCardEntry) -> Money:
        return Money.from_fen(self.principal)

    @strawberry.field(description="The change of the bonus (negative: taken).")
    def bonus(self: m.MemberCardEntry) -> Money:
        return Money.from_fen(self.bonus)

    @strawberry.field(description="The principal left after it.")
    def principal_after(self: m.MemberCardEntry) -> Money:
        return Money.from_fen(self.principal_after)

    @strawberry.field(description="The bonus left after it.")
    def bonus_after(self: m.MemberCardEntry) -> Money:
        return Money.from_fen(self.bonus_after)

    @strawberry.field(description="The store paid at (SPEND).")
    def store_id(self: m.MemberCardEntry) -> strawberry.ID | None:
        return ref("Store")(self.store_id)

    @strawberry.field(description="The store payment's receipt id (SPEND): `storePaymentReceipt(id)`.")
    def receipt_id(self: m.MemberCardEntry) -> strawberry.ID | None:
        return ref("Order")(self.order_id)

    @strawberry.field(description="When.")
    def created_at(self: m.MemberCardEntry) -> datetime:
        return self.created_at


@strawberry.type(
    description="A customer's member card of a merchant: the principal paid in and the bonus given, apart."
)
class MemberCard(Node):
    id: strawberry.ID = node_id("MemberCard", description="The card's id: pass it to payAtStore (method MEMBER_CARD).")

    @strawberry.field(description="The card number.")
    def card_no(self: m.MemberCard) -> str:
        return self.card_no

    @strawberry.field(description="The card's plan (name, stores, top-up rules).")
    async def plan(self: m.MemberCard) -> MemberCardPlan:
        return await m.MemberCardPlan.get(id=self.plan_id)

    @strawberry.field(description="Usable or refunded.")
    def status(self: m.MemberCard) -> MemberCardStatus:
        return MemberCardStatus(self.status)

    @strawberry.field(description="What may be spent: principal plus bonus.")
    def balance(self: m.MemberCard) -> Money:
        return Money.from_fen(self.principal + self.bonus)

    @strawberry.field(description="The principal left (what a refund gives back).")
    def principal(self: m.MemberCard) -> Money:
        return Money.from_fen(self.principal)

    @strawberry.field(description="The bonus left (forfeited on refund).")
    def bonus(self: m.MemberCard) -> Money:
        return Money.from_fen(self.bonus)

    @strawberry.field(description="The statement, oldest first.")
    async def statement(self: m.MemberCard) -> list[MemberCardEntry]:
        return await m.MemberCardEntry.filter(card_id=self.id).order_by("id")


@strawberry.type(description="Outcome of a new member card plan.")
class MemberCardPlanPayload:
    plan: MemberCardPlan | None = strawberry.field(default=None, description="The plan.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of a top-up or a refund of a member card.")
class MemberCardPayload:
    card: MemberCard | None = strawberry.field(default=None, description="The card as it is now.")
    entry: MemberCardEntry | None = strawberry.field(default=None, description="The statement line it made.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")
