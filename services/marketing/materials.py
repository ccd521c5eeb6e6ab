"""The material library (MKT-5, 促销材料库): posters, copy text and short video links that
distributors share, tied to a product, a category and/or an activity (a kind and an id: a
flash session or item, a promotion).

Publishing: the platform's materials by admins with marketing.manage; a merchant's by its
staff with merchant.marketing, for its own goods only (its own product or activity; FORBIDDEN
otherwise). A material is PUBLISHED (distributors see it) or HIDDEN; `sort_order` pins it
(higher first, then newest).

Sharing and statistics are the distributor centre's tracking link carrying the material
(services.distribution.centre: `share_link`, `material_figures`): no second attribution path.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from tortoise.expressions import Q

from models.catalog import Category, Product
from models.marketing import FlashItem, FlashSession, Material, Promotion
from models.merchants import Merchant
from services.accounts.access import Grants
from services.catalog.products import category_tree
from services.catalog.search import KeysetPage
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.core.pagination import check_page_size
from services.core.validation import http_url
from services.marketing.coupon_templates import MERCHANT_PERMISSION, PLATFORM_PERMISSION, authorize

IMAGE, TEXT, VIDEO = "IMAGE", "TEXT", "VIDEO"
KINDS = (IMAGE, TEXT, VIDEO)
PUBLISHED, HIDDEN = "PUBLISHED", "HIDDEN"
STATUSES = (PUBLISHED, HIDDEN)
MAX_TITLE = 64
MAX_BODY = 2000
MAX_IMAGES = 9
MAX_SORT = 1_000_000
# The activities a material can be tied to: the model, and the column naming its merchant
# (None: the platform's own, e.g. a flash session).
ACTIVITIES: dict[str, tuple[type, str | None]] = {
    "FLASH_SESSION": (FlashSession, None),
    "FLASH_ITEM": (FlashItem, "merchant_id"),
    "PROMOTION": (Promotion, "merchant_id"),
}


@dataclass(frozen=True)
class MaterialData:
    kind: str
    title: str
    body: str = ""
    image_urls: tuple[str, ...] = ()
    video_url: str = ""
    merchant_id: int | None = None  # the owner; None: the platform
    product_id: int | None = None
    category_id: int | None = None
    activity_kind: str | None = None
    activity_id: int | None = None
    sort_order: int = 0


def clean(data: MaterialData) -> dict:
    """The material's columns from its input, checked (no database): INVALID_INPUT naming the
    field. IMAGE needs an image, VIDEO an http(s) video link, TEXT its copy text; it is tied to
    something (a product, a category or an activity)."""
    if data.kind not in KINDS:
        raise DomainError(ErrorCode.INVALID_INPUT, "A material is an IMAGE, TEXT or VIDEO.", "kind")
    title = (data.title or "").strip()
    if not 1 <= len(title) <= MAX_TITLE:
        raise DomainError(ErrorCode.INVALID_INPUT, f"A title of 1 to {MAX_TITLE} characters.", "title")
    body = (data.body or "").strip()
    if len(body) > MAX_BODY:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Copy text of at most {MAX_BODY} characters.", "body")
    if len(data.image_urls) > MAX_IMAGES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_IMAGES} images.", "imageUrls")
    images = [http_url(u, f"imageUrls[{i}]", required=True) for i, u in enumerate(data.image_urls)]
    video = http_url(data.video_url, "videoUrl", required=data.kind == VIDEO)
    if data.kind == IMAGE and not images:
        raise DomainError(ErrorCode.INVALID_INPUT, "An IMAGE material has at least one image.", "imageUrls")
    if data.kind == TEXT and not body:
        raise DomainError(ErrorCode.INVALID_INPUT, "A TEXT material has its copy text.", "body")
    if (data.activity_kind is None) != (data.activity_id is None):
        raise DomainError(ErrorCode.INVALID_INPUT, "An activity is a kind and an id.", "activity")
    if data.activity_kind is not None and data.activity_kind not in ACTIVITIES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"An activity is one of {', '.join(ACTIVITIES)}.", "activity")
    if data.product_id is None and data.category_id is None and data.activity_kind is None:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "A material is tied to a product, a category or an activity.", "productId"
        )
    if not isinstance(data.sort_order, int) or not -MAX_SORT <= data.sort_order <= MAX_SORT:
        raise DomainError(ErrorCode.INVALID_INPUT, f"A sort order from -{MAX_SORT} to {MAX_SORT}.", "sortOrder")
    return {
        "kind": data.kind,
        "title": title,
        "body": body,
        "image_urls": images,
        "video_url": video,
        "product_id": data.product_id,
        "category_id": data.category_id,
        "activity_kind": data.activity_kind,
        "activity_id": data.activity_id,
        "sort_order": data.sort_order,
    }


async def _check_targets(merchant_id: int | None, columns: dict) -> None:
    """What the material is tied to exists (NOT_FOUND) and, for a merchant's material, is
    that merchant's own (FORBIDDEN): its product, its activity (a category alone is not)."""
    own = False
    if columns["product_id"] is not None:
        owner = await Product.filter(id=columns["product_id"]).values_list("merchant_id", flat=True)
        if not owner:
            raise DomainError(ErrorCode.NOT_FOUND, "No such product.", "productId")
        if merchant_id is not None and owner[0] != merchant_id:
            raise DomainError(ErrorCode.FORBIDDEN, "A merchant's material is about its own goods.", "productId")
        own = True
    if columns["category_id"] is not None and not await Category.exists(id=columns["category_id"]):
        raise DomainError(ErrorCode.NOT_FOUND, "No such category.", "categoryId")
    if columns["activity_kind"] is not None:
        model, owner_column = ACTIVITIES[columns["activity_kind"]]
        rows = await model.filter(id=columns["activity_id"]).values_list(owner_column or "id", flat=True)
        if not rows:
            raise DomainError(ErrorCode.NOT_FOUND, "No such activity.", "activity")
        if merchant_id is not None:
            if owner_column is None or rows[0] != merchant_id:
                raise DomainError(ErrorCode.FORBIDDEN, "A merchant's material is about its own activities.", "activity")
            own = True
    if merchant_id is not None and not own:
        raise DomainError(
            ErrorCode.FORBIDDEN, "A merchant's material is tied to its own product or activity.", "productId"
        )


async def create(grants: Grants, actor_id: int | None, data: MaterialData) -> Material:
    """Publish a material (PUBLISHED at once). FORBIDDEN, INVALID_INPUT, NOT_FOUND; nothing
    written then."""
    authorize(grants, data.merchant_id)
    columns = clean(data)
    if data.merchant_id is not None and not await Merchant.exists(id=data.merchant_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such merchant.", "merchantId")
    await _check_targets(data.merchant_id, columns)
    async with unit_of_work():
        return await Material.create(merchant_id=data.merchant_id, created_by_id=actor_id, **columns)


async def for_staff(grants: Grants, material_id: int) -> Material:
    """A material its owner's staff may manage (NOT_FOUND when missing, FORBIDDEN otherwise)."""
    row = await Material.get_or_none(id=material_id)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such material.", "id")
    authorize(grants, row.merchant_id)
    return row


async def update(grants: Grants, material_id: int, data: MaterialData) -> Material:
    """Replace a material's content and ties; its owner stays (INVALID_INPUT for another)."""
    row = await for_staff(grants, material_id)
    if data.merchant_id != row.merchant_id:
        raise DomainError(ErrorCode.INVALID_INPUT, "A material keeps its owner.", "merchantId")
    columns = clean(data)
    await _check_targets(row.merchant_id, columns)
    async with unit_of_work():
        await Material.filter(id=row.id).update(**columns)
    return await Material.get(id=row.id)


async def set_status(grants: Grants, material_id: int, status: str) -> Material:
    """Hide a material from distributors, or publish it again (INVALID_TRANSITION when it is so already)."""
    row = await for_staff(grants, material_id)
    if status not in STATUSES:
        raise DomainError(ErrorCode.INVALID_INPUT, "PUBLISHED or HIDDEN.", "status")
    async with unit_of_work():
        changed = await Material.filter(id=row.id, status__not=status).update(status=status)
    if changed != 1:
        raise DomainError(ErrorCode.INVALID_TRANSITION, f"The material is {status.lower()} already.", "id")
    return await Material.get(id=row.id)


def owners(grants: Grants, merchant_id: int | None = None) -> list[int] | None:
    """Whose materials the caller manages: None for every owner (the platform's staff, without
    `merchant_id`), else the merchants (a merchant's marketing staff: theirs). FORBIDDEN with
    neither permission, or for another merchant."""
    if grants.has(PLATFORM_PERMISSION):
        return None if merchant_id is None else [merchant_id]
    mine = grants.merchant_ids(MERCHANT_PERMISSION)
    if not mine or (merchant_id is not None and merchant_id not in mine):
        raise DomainError(ErrorCode.FORBIDDEN, f"This needs the {PLATFORM_PERMISSION} permission.")
    return mine if merchant_id is None else [merchant_id]


def managed(grants: Grants, merchant_id: int | None = None, status: str | None = None):
    """The materials the caller manages (`owners`), hidden ones too."""
    scope = owners(grants, merchant_id)
    query = Material.all() if scope is None else Material.filter(merchant_id__in=scope)
    if status is not None:
        query = query.filter(status=status)
    return query


# --------------------------------------------------------------------------- distributors


@dataclass(frozen=True)
class Filters:
    product_id: int | None = None
    category_id: int | None = None  # with its subcategories
    activity_kind: str | None = None
    activity_id: int | None = None
    kind: str | None = None


async def subtree_ids(category_id: int) -> list[int]:
    """The category and its (active) subcategories, through the category tree helper."""
    ids, stack = [category_id], list(await category_tree(category_id))
    while stack:
        node = stack.pop()
        ids.append(node.id)
        stack.extend(getattr(node, "child_list", []))
    return ids


async def published(filters: Filters):
    """Published materials matching the filters: a category takes its subcategories, and the
    materials of the products in them."""
    query = Material.filter(status=PUBLISHED)
    if filters.kind is not None:
        query = query.filter(kind=filters.kind)
    if filters.product_id is not None:
        query = query.filter(product_id=filters.product_id)
    if filters.activity_kind is not None:
        query = query.filter(activity_kind=filters.activity_kind)
        if filters.activity_id is not None:
            query = query.filter(activity_id=filters.activity_id)
    if filters.category_id is not None:
        ids = await subtree_ids(filters.category_id)
        query = query.filter(Q(category_id__in=ids) | Q(product__category_id__in=ids))
    return query


def _cursor(row: Material) -> str:
    return base64.urlsafe_b64encode(f"material:{row.sort_order}:{row.id}".encode()).decode()


def _after(cursor: str) -> tuple[int, int]:
    try:
        kind, sort, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        if kind != "material":
            raise ValueError
        return int(sort), int(pk)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DomainError(ErrorCode.INVALID_CURSOR, "This cursor is not valid.", "after") from exc


async def page(query, first: int, after: str | None = None) -> KeysetPage:
    """A page in library order: higher sort order first, then newest (keyset, no OFFSET)."""
    check_page_size(first)
    if after:
        sort, pk = _after(after)
        query = query.filter(Q(sort_order__lt=sort) | Q(sort_order=sort, id__lt=pk))
    rows = list(await query.order_by("-sort_order", "-id").limit(first + 1))
    items = rows[:first]
    return KeysetPage(items, len(rows) > first, after is not None, [_cursor(r) for r in items])


async def get_published(material_id: int) -> Material:
    row = await Material.get_or_none(id=material_id, status=PUBLISHED)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such material.", "id")
    return row


def copy_text(row: Material, link: str | None = None) -> str:
    """What a distributor copies: the copy text (or the title), then the link when given."""
    text = row.body or row.title
    return f"{text}\n{link}" if link else text
