"""Home content: banners and recommendations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.errors import UserError
from schema.node import Node, node_id


@strawberry.type(description="A banner or ad in a placement of the storefront.")
class Banner(Node):
    id: strawberry.ID = node_id("Banner", description="Banner id.")
    placement: str = strawberry.field(description="Where it shows, e.g. HOME_TOP.")
    title: str = strawberry.field(description="Alt text / caption.")
    image_url: str = strawberry.field(description="Image URL.")
    target_type: str = strawberry.field(description="What a tap opens: PRODUCT, MERCHANT, CATEGORY or URL.")
    target_value: str = strawberry.field(description="The product/merchant/category id, or the URL.")
    sort_order: int = strawberry.field(description="Lower first.")
    starts_at: datetime | None = strawberry.field(description="Shown from this time (null: at once).")
    ends_at: datetime | None = strawberry.field(description="Shown until this time (null: no end).")
    is_active: bool = strawberry.field(description="Switched on by the admin.")


@strawberry.input(description="A banner's content and schedule.")
class BannerInput:
    placement: str = strawberry.field(description="Upper-case placement code, e.g. HOME_TOP.")
    title: str = strawberry.field(description="1 to 64 characters.")
    image_url: str = strawberry.field(description="http(s) image URL.")
    target_type: str = strawberry.field(description="PRODUCT, MERCHANT, CATEGORY or URL.")
    target_value: str = strawberry.field(description="An id, or an http(s) URL for URL targets.")
    sort_order: int = strawberry.field(default=0, description="Lower first.")
    starts_at: datetime | None = strawberry.field(default=None, description="Start of the schedule.")
    ends_at: datetime | None = strawberry.field(default=None, description="End of the schedule (after the start).")
    is_active: bool = strawberry.field(default=True, description="Switched on.")


@strawberry.type(description="Outcome of a banner mutation.")
class BannerPayload:
    banner: Banner | None = strawberry.field(
        default=None, description="The banner after the change (null after delete)."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of setRecommendations.")
class RecommendationsPayload:
    target_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="The ids now recommended, in order."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")
