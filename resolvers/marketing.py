"""Coupons (MKT-1, MKT-6): templates for the platform's and merchants' marketing staff, the
storefront's claimable coupons, claiming, issuing, the buyer's coupons."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import MERCHANT_IDS, USER_IDS, api_errors, login_required, parse_id, payload_errors, viewer
from schema.pagination import Connection, to_connection
from schema.types.consignment_stats import StatsPeriod
from schema.types.marketing import (
    ClaimCouponPayload,
    CouponScopeInput,
    CouponStats,
    CouponStatsBucket,
    CouponTemplate,
    CouponTemplateInput,
    CouponTemplatePayload,
    CouponTemplateStatus,
    IssueCouponsPayload,
    UserCoupon,
    UserCouponStatus,
)
from services.core.pagination import paginate
from services.marketing import coupon_templates, coupons
from services.marketing import stats as marketing_stats


def _ids(values, field: str, of: str | tuple[str, ...]) -> tuple[int, ...]:
    return tuple(parse_id(v, field, of=of) for v in values)


def scope_data(scope: CouponScopeInput | None) -> coupon_templates.ScopeData:
    if scope is None:
        return coupon_templates.ScopeData()
    return coupon_templates.ScopeData(
        category_ids=_ids(scope.category_ids, "scope.categoryIds", "Category"),
        product_ids=_ids(scope.product_ids, "scope.productIds", "Product"),
        merchant_ids=_ids(scope.merchant_ids, "scope.merchantIds", MERCHANT_IDS),
        zones=tuple(z.value for z in scope.zones),
        excluded_category_ids=_ids(scope.excluded_category_ids, "scope.excludedCategoryIds", "Category"),
        excluded_product_ids=_ids(scope.excluded_product_ids, "scope.excludedProductIds", "Product"),
        excluded_zones=None if scope.excluded_zones is None else tuple(z.value for z in scope.excluded_zones),
    )


def _data(data: CouponTemplateInput) -> coupon_templates.TemplateData:
    return coupon_templates.TemplateData(
        name=data.name,
        kind=data.kind.value,
        total_quantity=data.total_quantity,
        merchant_id=parse_id(data.merchant_id, "merchantId", of=MERCHANT_IDS) if data.merchant_id else None,
        description=data.description,
        amount=data.amount or 0,
        rate_bp=data.rate_bp or 0,
        cap=data.cap or 0,
        threshold=data.threshold or 0,
        scope=scope_data(data.scope),
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        valid_days=data.valid_days or 0,
        per_user_limit=data.per_user_limit,
        stacks=data.stacks,
        claimable=data.claimable,
        activate=data.activate,
    )


async def templates_with_counts(rows) -> list[CouponTemplate]:
    """For the templates' managers: with the used counts (one grouped query for them all)."""
    used = await coupons.used_counts([r.id for r in rows])
    return [CouponTemplate(row=r, used=used.get(r.id, 0)) for r in rows]


async def templates_for_viewer(info: Info, rows) -> list[CouponTemplate]:
    """For the storefront: with how many the viewer claimed (one query)."""
    me = info.context.viewer
    mine = await coupons.claimed_by(me.id, [r.id for r in rows]) if me is not None else {}
    return [CouponTemplate(row=r, mine=mine.get(r.id, 0)) for r in rows]


def _connection(page, views: list[CouponTemplate]) -> Connection[CouponTemplate]:
    by_id = {v.row.id: v for v in views}
    return to_connection(page, lambda row: by_id[row.id])


async def _status_change(info: Info, id: strawberry.ID, action: str) -> CouponTemplatePayload:
    row = await coupon_templates.change_status(await info.context.grants(), parse_id(id, of="CouponTemplate"), action)
    return CouponTemplatePayload(template=(await templates_with_counts([row]))[0])


TEMPLATE_ID = Annotated[strawberry.ID, strawberry.argument(description="The coupon template.")]


@strawberry.type
class MarketingQueries:
    @strawberry.field(
        description="Coupon templates with their claimed and used counts, newest first: one merchant's (its "
        "staff with merchant.marketing; another merchant's are FORBIDDEN); without merchantId, the platform's "
        "for marketing.manage, else those of the merchants where I hold merchant.marketing.",
        extensions=login_required(),
    )
    @api_errors
    async def coupon_templates(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID | None, strawberry.argument(description="The merchant's.")] = None,
        status: Annotated[CouponTemplateStatus | None, strawberry.argument(description="Only this state.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[CouponTemplate]:
        mid = parse_id(merchant_id, "merchantId", of=MERCHANT_IDS) if merchant_id is not None else None
        qs = coupon_templates.templates_for_staff(await info.context.grants(), mid, status.value if status else None)
        page = await paginate(qs, first, after)
        return _connection(page, await templates_with_counts(page.items))

    @strawberry.field(
        description="Coupons to claim now (ACTIVE, listed, some left, not past their window), newest first: "
        "one merchant's, or every issuer's; `claimedByMe` says how many the viewer holds."
    )
    @api_errors
    async def available_coupons(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID | None, strawberry.argument(description="Only this merchant's.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[CouponTemplate]:
        mid = parse_id(merchant_id, "merchantId", of=MERCHANT_IDS) if merchant_id is not None else None
        page = await paginate(coupon_templates.claimable_now(mid), first, after)
        return _connection(page, await templates_for_viewer(info, page.items))

    @strawberry.field(
        description="A coupon template's statistics by business day, week or month (its managers): claimed, used, "
        "orders, GMV and discount cost.",
        extensions=login_required(),
    )
    @api_errors
    async def coupon_template_stats(
        self,
        info: Info,
        template_id: Annotated[strawberry.ID, strawberry.argument(description="The coupon template.")],
        period: Annotated[StatsPeriod, strawberry.argument(description="How to cut the range.")],
        from_: Annotated[date, strawberry.argument(name="from", description="First day, inclusive.")],
        to: Annotated[date, strawberry.argument(description="Last day, inclusive (today at the latest).")],
    ) -> CouponStats:
        tid = parse_id(template_id, "templateId", of="CouponTemplate")
        found, totals = await marketing_stats.coupon_stats(await info.context.grants(), tid, period.value, from_, to)
        return CouponStats(
            buckets=[CouponStatsBucket.of(b.first, b.last, b.figures) for b in found],
            totals=CouponStatsBucket.of(from_, to, totals),
        )

    @strawberry.field(description="My coupons, newest first.", extensions=login_required())
    @api_errors
    async def my_coupons(
        self,
        info: Info,
        status: Annotated[UserCouponStatus | None, strawberry.argument(description="Only this state.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[UserCoupon]:
        page = await paginate(coupons.mine(viewer(info).id, status.value if status else None), first, after)
        return to_connection(page, lambda row: UserCoupon(row=row))


@strawberry.type
class MarketingMutations:
    @strawberry.mutation(
        description="Create a coupon template: the platform's (marketing.manage) or a merchant's on its own "
        "goods (its merchant.marketing staff). A percentage above 100 % is INVALID_RATE, a negative "
        "amount INVALID_AMOUNT, another merchant's goods FORBIDDEN.",
        extensions=login_required(),
    )
    @payload_errors
    async def create_coupon_template(
        self, info: Info, input: Annotated[CouponTemplateInput, strawberry.argument(description="The template.")]
    ) -> CouponTemplatePayload:
        row = await coupon_templates.create_template(await info.context.grants(), viewer(info).id, _data(input))
        return CouponTemplatePayload(template=CouponTemplate(row=row, used=0))

    @strawberry.mutation(
        description="Make a DRAFT or PAUSED template ACTIVE (claimable and issuable).", extensions=login_required()
    )
    @payload_errors
    async def activate_coupon_template(self, info: Info, id: TEMPLATE_ID) -> CouponTemplatePayload:
        return await _status_change(info, id, "ACTIVATE")

    @strawberry.mutation(
        description="Pause an ACTIVE template: no claims or issues until activated again; coupons held stay valid.",
        extensions=login_required(),
    )
    @payload_errors
    async def pause_coupon_template(self, info: Info, id: TEMPLATE_ID) -> CouponTemplatePayload:
        return await _status_change(info, id, "PAUSE")

    @strawberry.mutation(
        description="End a template for good; coupons held stay valid until they expire.", extensions=login_required()
    )
    @payload_errors
    async def end_coupon_template(self, info: Info, id: TEMPLATE_ID) -> CouponTemplatePayload:
        return await _status_change(info, id, "END")

    @strawberry.mutation(
        description="Claim one coupon of a template listed in availableCoupons: exact under any concurrency "
        "(never past the total, never past the per-user limit).",
        extensions=login_required(),
    )
    @payload_errors
    async def claim_coupon(
        self,
        info: Info,
        template_id: Annotated[strawberry.ID, strawberry.argument(description="The coupon template.")],
    ) -> ClaimCouponPayload:
        row = await coupons.claim(viewer(info).id, parse_id(template_id, "templateId", of="CouponTemplate"))
        return ClaimCouponPayload(coupon=UserCoupon(row=row))

    @strawberry.mutation(
        description="Give one coupon of an ACTIVE template to each user (the template's managers); all or "
        "nothing, counted against the total.",
        extensions=login_required(),
    )
    @payload_errors
    async def issue_coupons(
        self,
        info: Info,
        template_id: Annotated[strawberry.ID, strawberry.argument(description="The coupon template.")],
        user_ids: Annotated[list[strawberry.ID], strawberry.argument(description="The users, at most 200.")],
    ) -> IssueCouponsPayload:
        rows = await coupons.issue(
            await info.context.grants(),
            viewer(info).id,
            parse_id(template_id, "templateId", of="CouponTemplate"),
            _ids(user_ids, "userIds", USER_IDS),
        )
        return IssueCouponsPayload(coupons=[UserCoupon(row=r) for r in rows])
