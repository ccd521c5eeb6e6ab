"""Home content (CAT-5): banners/ads with placement, schedule and target; recommended
products and merchants in the order the admin sets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from models.catalog import Product
from models.content import Banner, Recommendation
from models.merchants import Merchant
from services.catalog.product_states import LISTED
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import public_data_changed, unit_of_work
from services.core.validation import http_url
from services.merchants import merchants

PLACEMENT = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")
TARGET_TYPES = ("PRODUCT", "MERCHANT", "CATEGORY", "URL")
RECOMMENDATION_KINDS = ("PRODUCT", "MERCHANT")
MAX_RECOMMENDATIONS = 50


@dataclass
class BannerData:
    placement: str
    title: str
    image_url: str
    target_type: str
    target_value: str
    sort_order: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    is_active: bool = True


def _check_placement(placement: str) -> str:
    if not PLACEMENT.match(placement):
        raise DomainError(ErrorCode.INVALID_INPUT, "Placements are upper-case codes like HOME_TOP.", "placement")
    return placement


def _clean_banner(data: BannerData) -> dict:
    _check_placement(data.placement)
    title = data.title.strip()
    if not 1 <= len(title) <= 64:
        raise DomainError(ErrorCode.INVALID_INPUT, "A title of 1 to 64 characters is required.", "title")
    http_url(data.image_url, "imageUrl", required=True)
    if data.target_type not in TARGET_TYPES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Target type is one of {', '.join(TARGET_TYPES)}.", "targetType")
    if data.target_type == "URL":
        http_url(data.target_value, "targetValue", required=True)
    elif not data.target_value.isdigit():
        raise DomainError(ErrorCode.INVALID_INPUT, "The target is an id.", "targetValue")
    if data.starts_at and data.ends_at and data.starts_at >= data.ends_at:
        raise DomainError(ErrorCode.INVALID_DATE_RANGE, "The banner must start before it ends.", "endsAt")
    return {
        "placement": data.placement,
        "title": title,
        "image_url": data.image_url,
        "target_type": data.target_type,
        "target_value": data.target_value,
        "sort_order": data.sort_order,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "is_active": data.is_active,
    }


async def create_banner(data: BannerData) -> Banner:
    fields = _clean_banner(data)
    async with unit_of_work():
        banner = await Banner.create(**fields)
        public_data_changed()
    return banner


async def update_banner(banner_id: int, data: BannerData) -> Banner:
    fields = _clean_banner(data)
    async with unit_of_work():
        if not await Banner.filter(id=banner_id).update(**fields):
            raise DomainError(ErrorCode.NOT_FOUND, "No such banner.", "id")
        public_data_changed()
    return await Banner.get(id=banner_id)


async def delete_banner(banner_id: int) -> None:
    async with unit_of_work():
        if not await Banner.filter(id=banner_id).delete():
            raise DomainError(ErrorCode.NOT_FOUND, "No such banner.", "id")
        public_data_changed()


async def live_banners(placement: str) -> list[Banner]:
    """What the storefront shows now: active and within the schedule, in admin order."""
    now = clock.now()
    rows = await Banner.filter(placement=placement, is_active=True).order_by("sort_order", "id")
    return [b for b in rows if (b.starts_at is None or b.starts_at <= now) and (b.ends_at is None or now < b.ends_at)]


async def all_banners(placement: str | None = None) -> list[Banner]:
    query = Banner.all() if placement is None else Banner.filter(placement=placement)
    return await query.order_by("placement", "sort_order", "id")


async def set_recommendations(placement: str, kind: str, target_ids: list[int]) -> list[Recommendation]:
    """Replace the placement's list for `kind` with `target_ids`, in that order."""
    _check_placement(placement)
    if kind not in RECOMMENDATION_KINDS:
        raise DomainError(ErrorCode.INVALID_INPUT, "Kind is PRODUCT or MERCHANT.", "kind")
    if len(target_ids) > MAX_RECOMMENDATIONS or len(set(target_ids)) != len(target_ids):
        raise DomainError(ErrorCode.INVALID_INPUT, f"Up to {MAX_RECOMMENDATIONS} distinct ids.", "targetIds")
    model = Product if kind == "PRODUCT" else Merchant
    if await model.filter(id__in=target_ids).count() != len(target_ids):
        raise DomainError(ErrorCode.NOT_FOUND, f"Some {kind.lower()} ids do not exist.", "targetIds")
    async with unit_of_work():
        await Recommendation.filter(placement=placement, kind=kind).delete()
        await Recommendation.bulk_create(
            [
                Recommendation(placement=placement, kind=kind, target_id=t, sort_order=i)
                for i, t in enumerate(target_ids)
            ]
        )
        public_data_changed()
    return await Recommendation.filter(placement=placement, kind=kind).order_by("sort_order")


async def recommended_products(placement: str) -> list[Product]:
    """Recommended products that are on sale now (listed, merchant active), in admin order."""
    ids = (
        await Recommendation.filter(placement=placement, kind="PRODUCT")
        .order_by("sort_order")
        .values_list("target_id", flat=True)
    )
    rows = {p.id: p for p in await Product.filter(id__in=ids, status=LISTED, merchant__status=merchants.ACTIVE)}
    return [rows[i] for i in ids if i in rows]


async def recommended_merchants(placement: str) -> list[Merchant]:
    ids = (
        await Recommendation.filter(placement=placement, kind="MERCHANT")
        .order_by("sort_order")
        .values_list("target_id", flat=True)
    )
    rows = {m.id: m for m in await Merchant.filter(id__in=ids, status=merchants.ACTIVE)}
    return [rows[i] for i in ids if i in rows]
