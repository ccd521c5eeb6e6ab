"""Home content: public banners and recommendations; admin editing (catalog.manage)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.common import MERCHANT_IDS, api_errors, parse_id, payload_errors, requires
from schema.node import encode
from schema.types.catalog import Product
from schema.types.content import Banner, BannerInput, BannerPayload, RecommendationsPayload
from schema.types.merchants import Merchant
from services.catalog import content


def _data(data: BannerInput) -> content.BannerData:
    return content.BannerData(**{k: getattr(data, k) for k in content.BannerData.__dataclass_fields__})


@strawberry.type
class ContentQueries:
    @strawberry.field(description="Banners showing now in a placement (active and within schedule), in order.")
    @api_errors
    async def banners(
        self,
        placement: Annotated[str, strawberry.argument(description="Placement code, such as HOME_TOP.")] = "HOME_TOP",
    ) -> list[Banner]:
        return await content.live_banners(placement)

    @strawberry.field(description="Products the admin recommends in a placement, in order (only those on sale now).")
    @api_errors
    async def recommended_products(
        self, placement: Annotated[str, strawberry.argument(description="Placement code, such as HOME.")] = "HOME"
    ) -> list[Product]:
        return await content.recommended_products(placement)

    @strawberry.field(description="Merchants the admin recommends in a placement, in order (active ones only).")
    @api_errors
    async def recommended_merchants(
        self, placement: Annotated[str, strawberry.argument(description="Placement code, such as HOME.")] = "HOME"
    ) -> list[Merchant]:
        return await content.recommended_merchants(placement)

    @strawberry.field(
        description="All banners, including scheduled and switched-off ones.", extensions=requires("catalog.manage")
    )
    @api_errors
    async def admin_banners(
        self,
        placement: Annotated[
            str | None, strawberry.argument(description="Only this placement; omitted lists every banner.")
        ] = None,
    ) -> list[Banner]:
        return await content.all_banners(placement)


@strawberry.type
class ContentMutations:
    @strawberry.mutation(description="Add a banner.", extensions=requires("catalog.manage"))
    @payload_errors
    async def create_banner(
        self, input: Annotated[BannerInput, strawberry.argument(description="The banner.")]
    ) -> BannerPayload:
        return BannerPayload(banner=await content.create_banner(_data(input)))

    @strawberry.mutation(description="Change a banner.", extensions=requires("catalog.manage"))
    @payload_errors
    async def update_banner(
        self,
        id: Annotated[strawberry.ID, strawberry.argument(description="The banner to change.")],
        input: Annotated[BannerInput, strawberry.argument(description="Its new content (replaces every field).")],
    ) -> BannerPayload:
        return BannerPayload(banner=await content.update_banner(parse_id(id, of="Banner"), _data(input)))

    @strawberry.mutation(description="Delete a banner.", extensions=requires("catalog.manage"))
    @payload_errors
    async def delete_banner(
        self, id: Annotated[strawberry.ID, strawberry.argument(description="The banner to delete.")]
    ) -> BannerPayload:
        await content.delete_banner(parse_id(id, of="Banner"))
        return BannerPayload()

    @strawberry.mutation(
        description="Set the recommended products or merchants of a placement, in display order (replaces the list).",
        extensions=requires("catalog.manage"),
    )
    @payload_errors
    async def set_recommendations(
        self,
        placement: Annotated[str, strawberry.argument(description="Placement code, such as HOME.")],
        kind: Annotated[str, strawberry.argument(description="PRODUCT or MERCHANT.")],
        target_ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description="The products or merchants, in display order (replaces the list)."),
        ],
    ) -> RecommendationsPayload:
        rows = await content.set_recommendations(
            placement,
            kind,
            [parse_id(t, "targetIds", of="Product" if kind == "PRODUCT" else MERCHANT_IDS) for t in target_ids],
        )
        return RecommendationsPayload(
            target_ids=[
                strawberry.ID(encode("Product" if kind == "PRODUCT" else "Merchant", r.target_id)) for r in rows
            ]
        )
