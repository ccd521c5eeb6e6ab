"""Punch cards (STO-3): a product's punch-card terms, my cards, one-time codes, redemption by
store staff, refunds of unused uses. Thin calls into services.stores.punch_cards."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import api_errors, login_required, parse_id, payload_errors, viewer
from schema.types.punch_cards import (
    PunchCard,
    PunchCardCodePayload,
    PunchCardPayload,
    PunchCardTermsPayload,
)
from services.stores import punch_cards

CARD = "The punch card."


@strawberry.type
class PunchCardQueries:
    @strawberry.field(description="My punch cards, newest first.", extensions=login_required())
    async def my_punch_cards(self, info: Info) -> list[PunchCard]:
        return await punch_cards.my_cards(viewer(info).id)

    @strawberry.field(
        description="A punch card: for its holder or the merchant's order staff.", extensions=login_required()
    )
    @api_errors
    async def punch_card(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=CARD)]
    ) -> PunchCard:
        return await punch_cards.card_for(
            viewer(info).id, await info.context.grants(), parse_id(id, "id", of="PunchCard")
        )


@strawberry.type
class PunchCardMutations:
    @strawberry.mutation(
        description="Sell a REDEEMABLE product as a punch card (merchant.products): uses per unit bought and "
        "days valid from payment; cards bought afterwards follow them.",
        extensions=login_required(),
    )
    @payload_errors
    async def set_punch_card_terms(
        self,
        info: Info,
        product_id: Annotated[strawberry.ID, strawberry.argument(description="A REDEEMABLE product.")],
        uses: Annotated[int, strawberry.argument(description="1 to 1000.")],
        valid_days: Annotated[int, strawberry.argument(description="1 to 3660.")],
    ) -> PunchCardTermsPayload:
        terms = await punch_cards.set_terms(
            await info.context.grants(), parse_id(product_id, "productId", of="Product"), uses, valid_days
        )
        return PunchCardTermsPayload(terms=terms)

    @strawberry.mutation(
        description="A one-time code for the next use of my punch card, to show at the store "
        "(alive PUNCH_CARD_CODE_MINUTES).",
        extensions=login_required(),
    )
    @payload_errors
    async def punch_card_code(
        self, info: Info, card_id: Annotated[strawberry.ID, strawberry.argument(description=CARD)]
    ) -> PunchCardCodePayload:
        code = await punch_cards.new_code(viewer(info).id, parse_id(card_id, "cardId", of="PunchCard"))
        return PunchCardCodePayload(code=code)

    @strawberry.mutation(
        description="Redeem one use against the customer's one-time code: store staff with store.redeem (or the "
        "merchant's order staff) at a store of the card's merchant. A code is redeemed once.",
        extensions=login_required(),
    )
    @payload_errors
    async def redeem_punch_card(
        self,
        info: Info,
        store_id: Annotated[strawberry.ID, strawberry.argument(description="The store redeeming.")],
        code: Annotated[str, strawberry.argument(description="The code the customer's phone shows.")],
    ) -> PunchCardPayload:
        card = await punch_cards.redeem(
            await info.context.grants(), viewer(info).id, parse_id(store_id, "storeId", of="Store"), code
        )
        return PunchCardPayload(card=card)

    @strawberry.mutation(
        description="Refund the unused uses of my punch card pro rata (PUNCH_CARD_REFUND_UNUSED), by the "
        "payment's method; the card closes.",
        extensions=login_required(),
    )
    @payload_errors
    async def refund_punch_card(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=CARD)]
    ) -> PunchCardPayload:
        card, refund = await punch_cards.refund(viewer(info).id, parse_id(id, "id", of="PunchCard"))
        return PunchCardPayload(card=card, refund=refund)
