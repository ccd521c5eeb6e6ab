"""Member cards (STO-2): a merchant's card plans, my cards, top-ups, statements and refunds.
Paying with a card at a store is `payAtStore(method: MEMBER_CARD, memberCardId)`; online, for
the merchant's goods, `payWithMemberCard` on a checkout's payment. Thin calls
into services.stores.member_cards."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import api_errors, login_required, parse_id, payload_errors, viewer
from schema.money import Amount
from schema.types.member_cards import (
    MemberCard,
    MemberCardPayload,
    MemberCardPlan,
    MemberCardPlanPayload,
    TopUpRuleInput,
)
from schema.types.orders import PaymentPayload
from services.stores import card_math, member_cards


@strawberry.type
class MemberCardQueries:
    @strawberry.field(description="A merchant's member cards on offer, to top up.", extensions=login_required())
    @api_errors
    async def member_card_plans(
        self, info: Info, merchant_id: Annotated[strawberry.ID, strawberry.argument(description="The merchant.")]
    ) -> list[MemberCardPlan]:
        return await member_cards.merchant_plans(parse_id(merchant_id, "merchantId", of="Merchant"))

    @strawberry.field(description="My member cards, newest first.", extensions=login_required())
    async def my_member_cards(self, info: Info) -> list[MemberCard]:
        return await member_cards.my_cards(viewer(info).id)

    @strawberry.field(
        description="A member card with its statement: for its holder or the merchant's order staff.",
        extensions=login_required(),
    )
    @api_errors
    async def member_card(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The card.")]
    ) -> MemberCard:
        return await member_cards.card_for(
            viewer(info).id, await info.context.grants(), parse_id(id, "id", of="MemberCard")
        )


@strawberry.type
class MemberCardMutations:
    @strawberry.mutation(
        description="Offer a member card of a merchant (merchant.settings): accepted in all its stores, or in "
        "`storeId` only, with top-up rules (top up at least A, get B).",
        extensions=login_required(),
    )
    @payload_errors
    async def create_member_card_plan(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID, strawberry.argument(description="The merchant.")],
        name: Annotated[str, strawberry.argument(description="1 to 64 characters.")],
        top_up_rules: Annotated[list[TopUpRuleInput], strawberry.argument(description="At most 10 rules.")],
        store_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The one store accepting it; null: every store.")
        ] = None,
    ) -> MemberCardPlanPayload:
        plan = await member_cards.create_plan(
            await info.context.grants(),
            parse_id(merchant_id, "merchantId", of="Merchant"),
            name,
            parse_id(store_id, "storeId", of="Store") if store_id is not None else None,
            [card_math.Tier(r.top_up_from, r.bonus) for r in top_up_rules],
        )
        return MemberCardPlanPayload(plan=plan)

    @strawberry.mutation(
        description="Top up my member card of a plan from my wallet (the card is made on first top-up); the "
        "bonus of the highest rule reached is added apart. The same idempotencyKey answers the same entry.",
        extensions=login_required(),
    )
    @payload_errors
    async def top_up_member_card(
        self,
        info: Info,
        plan_id: Annotated[strawberry.ID, strawberry.argument(description="The merchant's card plan.")],
        amount: Annotated[Amount, strawberry.argument(description="Above 0, at most MEMBER_CARD_MAX_TOP_UP.")],
        idempotency_key: Annotated[str, strawberry.argument(description="1 to 64 characters.")],
    ) -> MemberCardPayload:
        entry = await member_cards.top_up(
            viewer(info).id, parse_id(plan_id, "planId", of="MemberCardPlan"), amount, idempotency_key
        )
        return MemberCardPayload(card=await entry.card, entry=entry)

    @strawberry.mutation(
        description="Refund my member card: the principal left to my wallet, the bonus left forfeited; the card "
        "closes. Refused (CARD_NOT_REFUNDABLE) when MEMBER_CARD_REFUND_PRINCIPAL is off.",
        extensions=login_required(),
    )
    @payload_errors
    async def refund_member_card(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The card.")]
    ) -> MemberCardPayload:
        entry = await member_cards.refund(viewer(info).id, parse_id(id, "id", of="MemberCard"))
        return MemberCardPayload(card=await entry.card, entry=entry)

    @strawberry.mutation(
        description="Pay a checkout of the card's merchant's goods from my member card, as payWithWallet pays "
        "from the wallet: every order of the payment must be that merchant's (and, for a card of one store, "
        "picked up at or delivered from that store), else CARD_NOT_ACCEPTED. Principal and bonus are taken "
        "in proportion to what the card holds; refunds of the orders go back onto the card.",
        extensions=login_required(),
    )
    @payload_errors
    async def pay_with_member_card(
        self,
        info: Info,
        payment_id: Annotated[strawberry.ID, strawberry.argument(description="The checkout's payment.")],
        member_card_id: Annotated[strawberry.ID, strawberry.argument(description="My member card.")],
    ) -> PaymentPayload:
        payment = await member_cards.pay_payment(
            viewer(info).id,
            parse_id(payment_id, "paymentId", of="Payment"),
            parse_id(member_card_id, "memberCardId", of="MemberCard"),
        )
        return PaymentPayload(payment=payment)
