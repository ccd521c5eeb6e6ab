"""The material library (MKT-5): thin calls into services.marketing.materials (publishing,
listing) and services.distribution.centre (share links, per-material statistics)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.marketing import Material as MaterialRow
from resolvers.common import MERCHANT_IDS, api_errors, login_required, parse_id, parse_typed_id, payload_errors, viewer
from schema.pagination import Connection, to_connection
from schema.types.materials import (
    ACTIVITY_TYPES,
    KIND_OF_TYPE,
    Material,
    MaterialFilter,
    MaterialInput,
    MaterialPayload,
    MaterialStats,
    MaterialStatus,
)
from services.distribution import centre
from services.marketing import materials

ID = Annotated[strawberry.ID, strawberry.argument(description="The material.")]
FROM = Annotated[date, strawberry.argument(name="from", description="First day, inclusive (business days, UTC+8).")]
TO = Annotated[date, strawberry.argument(description="Last day, inclusive (today at the latest).")]
FIRST = Annotated[int, strawberry.argument(description="Page size.")]
AFTER = Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")]


def _activity(value: strawberry.ID | None, field: str) -> tuple[str | None, int | None]:
    if value is None:
        return None, None
    type_name, pk = parse_typed_id(value, field, of=tuple(ACTIVITY_TYPES.values()))
    return KIND_OF_TYPE[type_name], pk


def _data(input: MaterialInput) -> materials.MaterialData:
    activity_kind, activity_id = _activity(input.activity_id, "activityId")
    return materials.MaterialData(
        kind=input.kind.value,
        title=input.title,
        body=input.body,
        image_urls=tuple(input.image_urls),
        video_url=input.video_url,
        merchant_id=parse_id(input.merchant_id, "merchantId", of=MERCHANT_IDS) if input.merchant_id else None,
        product_id=parse_id(input.product_id, "productId", of="Product") if input.product_id else None,
        category_id=parse_id(input.category_id, "categoryId", of="Category") if input.category_id else None,
        activity_kind=activity_kind,
        activity_id=activity_id,
        sort_order=input.sort_order,
    )


async def _stats(figures: list[centre.MaterialFigures]) -> list[MaterialStats]:
    rows = {r.id: r for r in await MaterialRow.filter(id__in=[f.material_id for f in figures])} if figures else {}
    return [MaterialStats.from_figures(f, rows) for f in figures]


@strawberry.type
class MaterialQueries:
    @strawberry.field(
        description="The material library for distributors (NOT_A_DISTRIBUTOR otherwise): published materials, "
        "pinned first then newest, filtered by product, category (with subcategories), activity or kind.",
        extensions=login_required(),
    )
    @api_errors
    async def materials(
        self,
        info: Info,
        filter: Annotated[MaterialFilter | None, strawberry.argument(description="What to show.")] = None,
        first: FIRST = 20,
        after: AFTER = None,
    ) -> Connection[Material]:
        await centre.require_distributor(viewer(info).id)
        f = filter or MaterialFilter()
        activity_kind, activity_id = _activity(f.activity_id, "activityId")
        if f.activity_kind is not None:
            activity_kind = activity_kind or f.activity_kind.value
        query = await materials.published(
            materials.Filters(
                product_id=parse_id(f.product_id, "productId", of="Product") if f.product_id else None,
                category_id=parse_id(f.category_id, "categoryId", of="Category") if f.category_id else None,
                activity_kind=activity_kind,
                activity_id=activity_id,
                kind=f.kind.value if f.kind else None,
            )
        )
        return to_connection(await materials.page(query, first, after), lambda row: Material(row=row))

    @strawberry.field(
        description="Materials I manage, hidden ones too: the platform's staff (marketing.manage) every one or one "
        "merchant's; a merchant's marketing staff (merchant.marketing) their merchant's (FORBIDDEN otherwise).",
        extensions=login_required(),
    )
    @api_errors
    async def managed_materials(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID | None, strawberry.argument(description="Only this merchant's.")] = None,
        status: Annotated[MaterialStatus | None, strawberry.argument(description="Only in this state.")] = None,
        first: FIRST = 20,
        after: AFTER = None,
    ) -> Connection[Material]:
        query = materials.managed(
            await info.context.grants(),
            parse_id(merchant_id, "merchantId", of=MERCHANT_IDS) if merchant_id else None,
            status.value if status else None,
        )
        return to_connection(await materials.page(query, first, after), lambda row: Material(row=row))

    @strawberry.field(
        description="My share figures per material over a range: clicks on my links carrying it, sign-ups through "
        "them, their buyers and orders (distributors; INVALID_DATE_RANGE for a bad range).",
        extensions=login_required(),
    )
    @api_errors
    async def my_material_stats(self, info: Info, from_: FROM, to: TO) -> list[MaterialStats]:
        await centre.require_distributor(viewer(info).id)
        return await _stats(await centre.material_figures(from_, to, distributor_id=viewer(info).id))

    @strawberry.field(
        description="Share figures per material across distributors over a range, for the materials I manage "
        "(as managedMaterials: marketing.manage, or a merchant's merchant.marketing for its own).",
        extensions=login_required(),
    )
    @api_errors
    async def material_stats(
        self,
        info: Info,
        from_: FROM,
        to: TO,
        merchant_id: Annotated[strawberry.ID | None, strawberry.argument(description="Only this merchant's.")] = None,
    ) -> list[MaterialStats]:
        scope = materials.owners(
            await info.context.grants(), parse_id(merchant_id, "merchantId", of=MERCHANT_IDS) if merchant_id else None
        )
        return await _stats(await centre.material_figures(from_, to, merchant_ids=scope))


@strawberry.type
class MaterialMutations:
    @strawberry.mutation(
        description="Publish a material: the platform's (marketing.manage) or a merchant's (merchant.marketing, "
        "about its own product or activity).",
        extensions=login_required(),
    )
    @payload_errors
    async def create_material(
        self, info: Info, input: Annotated[MaterialInput, strawberry.argument(description="The material.")]
    ) -> MaterialPayload:
        row = await materials.create(await info.context.grants(), viewer(info).id, _data(input))
        return MaterialPayload(material=Material(row=row))

    @strawberry.mutation(
        description="Replace a material's content and what it is about (its owner stays).",
        extensions=login_required(),
    )
    @payload_errors
    async def update_material(
        self, info: Info, id: ID, input: Annotated[MaterialInput, strawberry.argument(description="The material.")]
    ) -> MaterialPayload:
        row = await materials.update(await info.context.grants(), parse_id(id, of="Material"), _data(input))
        return MaterialPayload(material=Material(row=row))

    @strawberry.mutation(
        description="Take a material out of the library (links shared earlier still count).",
        extensions=login_required(),
    )
    @payload_errors
    async def hide_material(self, info: Info, id: ID) -> MaterialPayload:
        row = await materials.set_status(await info.context.grants(), parse_id(id, of="Material"), materials.HIDDEN)
        return MaterialPayload(material=Material(row=row))

    @strawberry.mutation(description="Put a hidden material back in the library.", extensions=login_required())
    @payload_errors
    async def publish_material(self, info: Info, id: ID) -> MaterialPayload:
        row = await materials.set_status(await info.context.grants(), parse_id(id, of="Material"), materials.PUBLISHED)
        return MaterialPayload(material=Material(row=row))
