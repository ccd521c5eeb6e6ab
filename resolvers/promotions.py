"""Promotions (MKT-2, MKT-6): thin calls into services.marketing.promotions."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import MERCHANT_IDS, api_errors, login_required, parse_id, payload_errors, viewer
from resolvers.marketing import scope_data
from schema.pagination import Connection, to_connection
from schema.types.consignment_stats import StatsPeriod
from schema.types.promotions import (
    Promotion,
    PromotionInput,
    PromotionOfferStats,
    PromotionOfferStatsBucket,
    PromotionPayload,
    PromotionStatus,
)
from services.core.errors import DomainError, ErrorCode
from services.core.pagination import paginate
from services.marketing import promotions
from services.marketing import stats as marketing_stats

PROMOTION_ID = Annotated[strawberry.ID, strawberry.argument(description="The promotion.")]


def _data(data: PromotionInput) -> promotions.PromotionData:
    sku_prices: dict[int, int] = {}
    product_prices: dict[int, int] = {}
    for p in data.prices:
        if (p.sku_id is None) == (p.product_id is None):
            raise DomainError(ErrorCode.INVALID_INPUT, "Each price names a SKU or a product.", "prices")
        if p.sku_id is not None:
            sku_prices[parse_id(p.sku_id, "prices", of="Sku")] = p.price
        else:
            product_prices[parse_id(p.product_id, "prices", of="Product")] = p.price
    return promotions.PromotionData(
        name=data.name,
        kind=data.kind.value,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        merchant_id=parse_id(data.merchant_id, "merchantId", of=MERCHANT_IDS) if data.merchant_id else None,
        tiers=tuple(_tier(data.kind.value, t) for t in data.tiers) if data.kind.value != "GIFT" else (),
        gifts=tuple(_gift(t) for t in data.tiers) if data.kind.value == "GIFT" else (),
        sku_prices=sku_prices,
        product_prices=product_prices,
        scope=scope_data(data.scope),
        priority=data.priority,
        exclusive=data.exclusive,
        activate=data.activate,
    )


def _gift(tier) -> tuple[int, int, int]:
    if (
        tier.threshold is None
        or tier.gift_sku_id is None
        or tier.gift_quantity is None
        or tier.amount is not None
        or tier.units is not None
        or tier.rate_bp is not None
    ):
        raise DomainError(ErrorCode.INVALID_INPUT, "A gift tier has a threshold, giftSkuId and giftQuantity.", "tiers")
    return tier.threshold, parse_id(tier.gift_sku_id, "tiers", of="Sku"), tier.gift_quantity


def _tier(kind: str, tier) -> tuple[int, int]:
    if kind == "QUANTITY_DISCOUNT":
        if tier.units is None or tier.rate_bp is None or tier.threshold is not None or tier.amount is not None:
            raise DomainError(ErrorCode.INVALID_INPUT, "A quantity tier has units and rateBp.", "tiers")
        return tier.units, tier.rate_bp
    if tier.gift_sku_id is not None or tier.gift_quantity is not None:
        raise DomainError(ErrorCode.INVALID_INPUT, "Only a gift tier names a gift.", "tiers")
    if tier.threshold is None or tier.amount is None or tier.units is not None or tier.rate_bp is not None:
        raise DomainError(ErrorCode.INVALID_INPUT, "A reduction tier has a threshold and an amount.", "tiers")
    return tier.threshold, tier.amount


async def _status_change(info: Info, id: strawberry.ID, action: str) -> PromotionPayload:
    row = await promotions.change_status(await info.context.grants(), parse_id(id, of="Promotion"), action)
    return PromotionPayload(promotion=Promotion(row=row))


@strawberry.type
class PromotionQueries:
    @strawberry.field(
        description="Promotions, newest first: one merchant's (its staff with merchant.marketing); without merchantId, the platform's for marketing.manage, else those of the merchants where I hold merchant.marketing.",
        extensions=login_required(),
    )
    @api_errors
    async def promotions(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID | None, strawberry.argument(description="The merchant's.")] = None,
        status: Annotated[PromotionStatus | None, strawberry.argument(description="Only this state.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[Promotion]:
        mid = parse_id(merchant_id, "merchantId", of=MERCHANT_IDS) if merchant_id is not None else None
        qs = promotions.promotions_for_staff(await info.context.grants(), mid, status.value if status else None)
        return to_connection(await paginate(qs, first, after), lambda row: Promotion(row=row))

    @strawberry.field(
        description="A promotion's statistics by business day, week or month (its managers: marketing.manage for "
        "the platform's, the merchant's merchant.marketing for its own): orders, GMV, discount cost and units.",
        extensions=login_required(),
    )
    @api_errors
    async def promotion_stats(
        self,
        info: Info,
        promotion_id: PROMOTION_ID,
        period: Annotated[StatsPeriod, strawberry.argument(description="How to cut the range.")],
        from_: Annotated[date, strawberry.argument(name="from", description="First day, inclusive.")],
        to: Annotated[date, strawberry.argument(description="Last day, inclusive (today at the latest).")],
    ) -> PromotionOfferStats:
        pid = parse_id(promotion_id, "promotionId", of="Promotion")
        found, totals = await marketing_stats.promotion_stats(await info.context.grants(), pid, period.value, from_, to)
        return PromotionOfferStats(
            buckets=[PromotionOfferStatsBucket.of(b.first, b.last, b.figures) for b in found],
            totals=PromotionOfferStatsBucket.of(from_, to, totals),
        )


@strawberry.type
class PromotionMutations:
    @strawberry.mutation(
        description="Create a promotion: the platform's (marketing.manage, platform-funded) or a merchant's on its own goods (merchant.marketing, merchant-funded). Every checkout within its schedule applies it while ACTIVE.",
        extensions=login_required(),
    )
    @payload_errors
    async def create_promotion(
        self, info: Info, input: Annotated[PromotionInput, strawberry.argument(description="The promotion.")]
    ) -> PromotionPayload:
        row = await promotions.create(await info.context.grants(), viewer(info).id, _data(input))
        return PromotionPayload(promotion=Promotion(row=row))

    @strawberry.mutation(description="Make a DRAFT or PAUSED promotion ACTIVE.", extensions=login_required())
    @payload_errors
    async def activate_promotion(self, info: Info, id: PROMOTION_ID) -> PromotionPayload:
        return await _status_change(info, id, "ACTIVATE")

    @strawberry.mutation(description="Pause an ACTIVE promotion.", extensions=login_required())
    @payload_errors
    async def pause_promotion(self, info: Info, id: PROMOTION_ID) -> PromotionPayload:
        return await _status_change(info, id, "PAUSE")

    @strawberry.mutation(description="End a promotion for good.", extensions=login_required())
    @payload_errors
    async def end_promotion(self, info: Info, id: PROMOTION_ID) -> PromotionPayload:
        return await _status_change(info, id, "END")
