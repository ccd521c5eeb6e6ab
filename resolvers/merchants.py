"""Merchants: application, review, settings, commission rates and staff (MER-1, MER-3)."""

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import (
    MERCHANT_IDS,
    USER_IDS,
    api_errors,
    login_required,
    parse_id,
    payload_errors,
    requires,
    viewer,
)
from schema.pagination import Connection, to_connection
from schema.types.accounts import OkPayload
from schema.types.merchants import (
    ManagedMerchant,
    Merchant,
    MerchantApplicationInput,
    MerchantMembership,
    MerchantPayload,
    MerchantSettingsInput,
    MerchantStaffPayload,
    MerchantStatus,
)
from services.core.pagination import paginate
from services.merchants import merchants


@strawberry.type
class MerchantQueries:
    @strawberry.field(description="An active merchant's public page; null when there is no such active merchant.")
    @api_errors
    async def merchant(
        self, id: Annotated[strawberry.ID, strawberry.argument(description="Merchant id.")]
    ) -> Merchant | None:
        return await merchants.public_merchant(parse_id(id, of=MERCHANT_IDS))

    @strawberry.field(
        description="A merchant's private view (settings, staff, rates, reviews): its owner, staff with "
        "merchant.settings, and administrators. FORBIDDEN for anyone else.",
        extensions=login_required(),
    )
    @api_errors
    async def managed_merchant(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Merchant id.")]
    ) -> ManagedMerchant | None:
        return await merchants.managed_merchant(await info.context.grants(), parse_id(id, of=MERCHANT_IDS))

    @strawberry.field(
        description="Merchants the signed-in user owns or works for, with the permissions held there.",
        extensions=login_required(),
    )
    async def my_merchants(self, info: Info) -> list[MerchantMembership]:
        return [
            MerchantMembership(
                merchant=row.merchant, status=row.merchant.status, role=row.role, permissions=row.permissions
            )
            for row in await merchants.memberships(viewer(info).id)
        ]

    @strawberry.field(
        description="Merchant applications and merchants for review, newest first.",
        extensions=requires("merchant.manage"),
    )
    @api_errors
    async def merchant_applications(
        self,
        status: Annotated[
            MerchantStatus | None,
            strawberry.argument(description="Only merchants in this status (e.g. PENDING_REVIEW)."),
        ] = None,
        first: Annotated[int, strawberry.argument(description="Page size (at most the page-size cap).")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor from the previous page's endCursor.")
        ] = None,
    ) -> Connection[ManagedMerchant]:
        page = await paginate(merchants.applications(status.value if status else None), first, after)
        return to_connection(page)


def _application(data: MerchantApplicationInput) -> merchants.Application:
    return merchants.Application(
        name=data.name,
        legal_name=data.legal_name,
        business_license_no=data.business_license_no,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        description=data.description,
        logo_url=data.logo_url,
    )


def _settings(data: MerchantSettingsInput) -> merchants.SettingsChange:
    return merchants.SettingsChange(
        description=data.description,
        logo_url=data.logo_url,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        shipping_fee=data.shipping_fee,
        free_shipping_threshold=data.free_shipping_threshold,
        low_stock_threshold=data.low_stock_threshold,
        auto_delist_at_zero=data.auto_delist_at_zero,
    )


async def _review(info: Info, id: strawberry.ID, action: str, reason: str) -> MerchantPayload:
    return MerchantPayload(
        merchant=await merchants.review(viewer(info).id, parse_id(id, of=MERCHANT_IDS), action, reason)
    )


MERCHANT_ID = "The merchant."
PERMISSIONS_HELP = "Merchant permissions: merchant.products, merchant.orders, merchant.finance, merchant.settings."


@strawberry.type
class MerchantMutations:
    @strawberry.mutation(
        description="Apply to open a merchant: a PENDING_REVIEW merchant owned by the signed-in user, reviewed by the platform. "
        "One open application per user (ALREADY_APPLIED); names are unique (MERCHANT_NAME_TAKEN).",
        extensions=login_required(),
    )
    @payload_errors
    async def apply_for_merchant(
        self,
        info: Info,
        input: Annotated[MerchantApplicationInput, strawberry.argument(description="Business details.")],
    ) -> MerchantPayload:
        return MerchantPayload(merchant=await merchants.apply(viewer(info), _application(input)))

    @strawberry.mutation(
        description="Approve a pending application: PENDING_REVIEW -> ACTIVE.", extensions=requires("merchant.manage")
    )
    @payload_errors
    async def approve_merchant(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=MERCHANT_ID)],
        reason: Annotated[str, strawberry.argument(description="Optional note, kept in the review history.")] = "",
    ) -> MerchantPayload:
        return await _review(info, id, "APPROVE", reason)

    @strawberry.mutation(
        description="Reject a pending application with a reason: PENDING_REVIEW -> REJECTED.",
        extensions=requires("merchant.manage"),
    )
    @payload_errors
    async def reject_merchant(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=MERCHANT_ID)],
        reason: Annotated[str, strawberry.argument(description="Why, shown to the applicant (required).")],
    ) -> MerchantPayload:
        return await _review(info, id, "REJECT", reason)

    @strawberry.mutation(
        description="Suspend an active merchant with a reason: ACTIVE -> SUSPENDED.",
        extensions=requires("merchant.manage"),
    )
    @payload_errors
    async def suspend_merchant(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=MERCHANT_ID)],
        reason: Annotated[str, strawberry.argument(description="Why, shown to the merchant (required).")],
    ) -> MerchantPayload:
        return await _review(info, id, "SUSPEND", reason)

    @strawberry.mutation(
        description="Reinstate a suspended merchant: SUSPENDED -> ACTIVE.", extensions=requires("merchant.manage")
    )
    @payload_errors
    async def reinstate_merchant(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=MERCHANT_ID)],
        reason: Annotated[str, strawberry.argument(description="Optional note, kept in the review history.")] = "",
    ) -> MerchantPayload:
        return await _review(info, id, "REINSTATE", reason)

    @strawberry.mutation(
        description="Change a merchant's settings: description, logo, contact, shipping template, stock alerts. Needs merchant.settings.",
        extensions=login_required(),
    )
    @payload_errors
    async def update_merchant_settings(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID, strawberry.argument(description=MERCHANT_ID)],
        input: Annotated[MerchantSettingsInput, strawberry.argument(description="The settings to change.")],
    ) -> MerchantPayload:
        grants = await info.context.grants()
        return MerchantPayload(
            merchant=await merchants.update_settings(
                grants, parse_id(merchant_id, "merchantId", of=MERCHANT_IDS), _settings(input)
            )
        )

    @strawberry.mutation(
        description="Set a merchant's platform commission rate (basis points, 0-10000).",
        extensions=requires("merchant.manage"),
    )
    @payload_errors
    async def set_merchant_commission_rate(
        self,
        merchant_id: Annotated[strawberry.ID, strawberry.argument(description=MERCHANT_ID)],
        rate_bp: Annotated[int, strawberry.argument(description="Basis points of the goods amount: 500 = 5 %.")],
    ) -> MerchantPayload:
        return MerchantPayload(
            merchant=await merchants.set_commission_rate(parse_id(merchant_id, "merchantId", of=MERCHANT_IDS), rate_bp)
        )

    @strawberry.mutation(
        description="Override a merchant's commission rate for one category and its subcategories; a null rate removes the override.",
        extensions=requires("merchant.manage"),
    )
    @payload_errors
    async def set_merchant_category_rate(
        self,
        merchant_id: Annotated[strawberry.ID, strawberry.argument(description=MERCHANT_ID)],
        category_id: Annotated[strawberry.ID, strawberry.argument(description="The category.")],
        rate_bp: Annotated[
            int | None, strawberry.argument(description="Basis points (0-10000); null removes the override.")
        ] = None,
    ) -> MerchantPayload:
        merchant = await merchants.set_category_rate(
            parse_id(merchant_id, "merchantId", of=MERCHANT_IDS),
            parse_id(category_id, "categoryId", of="Category"),
            rate_bp,
        )
        return MerchantPayload(merchant=merchant)

    @strawberry.mutation(
        description="Add a staff member (by user id or phone) with some merchant permissions. Needs merchant.staff (the owner).",
        extensions=login_required(),
    )
    @payload_errors
    async def add_merchant_staff(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID, strawberry.argument(description=MERCHANT_ID)],
        permissions: Annotated[list[str], strawberry.argument(description=PERMISSIONS_HELP)],
        user_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The user to add (or give `phone`).")
        ] = None,
        phone: Annotated[
            str | None, strawberry.argument(description="Phone number of the user to add (or give `userId`).")
        ] = None,
    ) -> MerchantStaffPayload:
        staff = await merchants.add_staff(
            await info.context.grants(),
            viewer(info).id,
            parse_id(merchant_id, "merchantId", of=MERCHANT_IDS),
            user_id=parse_id(user_id, "userId", of=USER_IDS) if user_id is not None else None,
            phone=phone,
            permissions=permissions,
        )
        return MerchantStaffPayload(staff=staff)

    @strawberry.mutation(
        description="Replace a staff member's merchant permissions. Needs merchant.staff.", extensions=login_required()
    )
    @payload_errors
    async def update_merchant_staff(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID, strawberry.argument(description=MERCHANT_ID)],
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The staff member.")],
        permissions: Annotated[list[str], strawberry.argument(description=PERMISSIONS_HELP)],
    ) -> MerchantStaffPayload:
        staff = await merchants.set_staff_permissions(
            await info.context.grants(),
            parse_id(merchant_id, "merchantId", of=MERCHANT_IDS),
            parse_id(user_id, "userId", of=USER_IDS),
            permissions,
        )
        return MerchantStaffPayload(staff=staff)

    @strawberry.mutation(description="Remove a staff member. Needs merchant.staff.", extensions=login_required())
    @payload_errors
    async def remove_merchant_staff(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID, strawberry.argument(description=MERCHANT_ID)],
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The staff member.")],
    ) -> OkPayload:
        await merchants.remove_staff(
            await info.context.grants(),
            parse_id(merchant_id, "merchantId", of=MERCHANT_IDS),
            parse_id(user_id, "userId", of=USER_IDS),
        )
        return OkPayload(ok=True)
