"""The material library (MKT-5): materials (posters, copy text, video links) tied to a product,
a category or an activity; the signed-in distributor's tracking link carrying one; the
per-material share statistics."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from models import marketing as m
from schema.errors import UserError, api_error
from schema.money import Money
from schema.node import Node, node_id, ref
from schema.types.catalog import Product
from schema.types.distributor_centre import InviteLink
from services.core.errors import DomainError, ErrorCode
from services.distribution import centre, distributors
from services.marketing import materials as svc

# The activity kinds by the type of their global id.
ACTIVITY_TYPES = {"FLASH_SESSION": "FlashSession", "FLASH_ITEM": "FlashItem", "PROMOTION": "Promotion"}
KIND_OF_TYPE = {type_name: kind for kind, type_name in ACTIVITY_TYPES.items()}
_merchant_ref, _product_ref, _category_ref = ref("Merchant"), ref("Product"), ref("Category")


@strawberry.enum(description="What a material is.")
class MaterialKind(Enum):
    IMAGE = strawberry.enum_value("IMAGE", description="A poster or product images (海报).")
    TEXT = strawberry.enum_value("TEXT", description="Copy text to paste (文案).")
    VIDEO = strawberry.enum_value("VIDEO", description="A short video, by its http(s) link (短视频).")


@strawberry.enum(description="Whether distributors see a material.")
class MaterialStatus(Enum):
    PUBLISHED = strawberry.enum_value("PUBLISHED", description="In the library for distributors.")
    HIDDEN = strawberry.enum_value("HIDDEN", description="Taken out of the library (links shared earlier still count).")


@strawberry.enum(description="The kind of activity a material is about.")
class MaterialActivityKind(Enum):
    FLASH_SESSION = strawberry.enum_value("FLASH_SESSION", description="A flash-sale session.")
    FLASH_ITEM = strawberry.enum_value("FLASH_ITEM", description="A SKU on flash sale in a session.")
    PROMOTION = strawberry.enum_value("PROMOTION", description="A promotion (full reduction, discount, gift).")


async def _is_distributor(info: Info) -> bool:
    """Once per request: whether the viewer is a distributor (the share link and copy text)."""
    cache = info.context.__dict__.setdefault("_material_distributor", {})
    viewer = info.context.viewer
    if viewer is None:
        return False
    if viewer.id not in cache:
        cache[viewer.id] = await distributors.is_distributor(viewer.id)
    return cache[viewer.id]


@strawberry.type(description="A promotion material (素材) of the library, for distributors to share.")
class Material(Node):
    row: strawberry.Private[m.Material]

    id: strawberry.ID = node_id("Material", "row.id", description="The material's id.")

    @strawberry.field(description="IMAGE, TEXT or VIDEO.")
    def kind(self) -> MaterialKind:
        return MaterialKind(self.row.kind)

    @strawberry.field(description="Its title (1 to 64 characters).")
    def title(self) -> str:
        return self.row.title

    @strawberry.field(description="Its copy text (may be empty for images and videos).")
    def body(self) -> str:
        return self.row.body

    @strawberry.field(description="Its images' http(s) URLs (at least one for IMAGE), in order.")
    def image_urls(self) -> list[str]:
        return list(self.row.image_urls or [])

    @strawberry.field(description="The video's http(s) link (VIDEO); null otherwise.")
    def video_url(self) -> str | None:
        return self.row.video_url or None

    @strawberry.field(description="The merchant that published it; null: the platform's.")
    def merchant_id(self) -> strawberry.ID | None:
        return _merchant_ref(self.row.merchant_id)

    @strawberry.field(description="The product it is about, if any.")
    def product_id(self) -> strawberry.ID | None:
        return _product_ref(self.row.product_id)

    @strawberry.field(description="The product it is about, if any.")
    async def product(self, info: Info) -> Product | None:
        if self.row.product_id is None:
            return None
        return await info.context.loaders.product.load(self.row.product_id)

    @strawberry.field(description="The category it is about, if any (a category filter takes subcategories).")
    def category_id(self) -> strawberry.ID | None:
        return _category_ref(self.row.category_id)

    @strawberry.field(description="The kind of activity it is about, if any.")
    def activity_kind(self) -> MaterialActivityKind | None:
        return MaterialActivityKind(self.row.activity_kind) if self.row.activity_kind else None

    @strawberry.field(description="The activity it is about (a FlashSession, FlashItem or Promotion id), if any.")
    def activity_id(self) -> strawberry.ID | None:
        if not self.row.activity_kind:
            return None
        return ref(ACTIVITY_TYPES[self.row.activity_kind])(self.row.activity_id)

    @strawberry.field(description="PUBLISHED or HIDDEN.")
    def status(self) -> MaterialStatus:
        return MaterialStatus(self.row.status)

    @strawberry.field(description="Higher first in the library (then newest).")
    def sort_order(self) -> int:
        return self.row.sort_order

    @strawberry.field(description="When it was published.")
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(
        description="My tracking link carrying this material (distributors; NOT_A_DISTRIBUTOR otherwise): "
        "its clicks, the sign-ups through it and their orders count for the material in myMaterialStats."
    )
    async def share_link(self, info: Info) -> InviteLink:
        viewer = info.context.viewer
        if viewer is None:
            raise api_error(DomainError(ErrorCode.UNAUTHENTICATED, "Sign in first."))
        if not await _is_distributor(info):
            raise api_error(DomainError(ErrorCode.NOT_A_DISTRIBUTOR, "Share links are for distributors: apply first."))
        return InviteLink.from_invite(centre.invite_for(viewer, self.row.id))

    @strawberry.field(
        description="What to copy: the copy text (or the title), followed by my tracking link for this material "
        "when I am a distributor."
    )
    async def copy_text(self, info: Info) -> str:
        if not await _is_distributor(info):
            return svc.copy_text(self.row)
        return svc.copy_text(self.row, centre.invite_for(info.context.viewer, self.row.id).url)


@strawberry.input(description="Filter the material library.")
class MaterialFilter:
    product_id: strawberry.ID | None = strawberry.field(default=None, description="About this product.")
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="About this category or a subcategory, or a product in them."
    )
    activity_id: strawberry.ID | None = strawberry.field(
        default=None, description="About this activity (a FlashSession, FlashItem or Promotion id)."
    )
    activity_kind: MaterialActivityKind | None = strawberry.field(
        default=None, description="About an activity of this kind."
    )
    kind: MaterialKind | None = strawberry.field(default=None, description="Only IMAGE, TEXT or VIDEO.")


@strawberry.input(
    description="A material's content, owner and what it is about (at least one of product, category, activity)."
)
class MaterialInput:
    kind: MaterialKind = strawberry.field(
        description="IMAGE (needs an image), TEXT (needs copy text) or VIDEO (needs a video link)."
    )
    title: str = strawberry.field(description="1 to 64 characters.")
    body: str = strawberry.field(default="", description="Copy text, at most 2000 characters.")
    image_urls: list[str] = strawberry.field(default_factory=list, description="At most 9 http(s) image URLs.")
    video_url: str = strawberry.field(default="", description="VIDEO: the video's http(s) link.")
    merchant_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The owner: a merchant (its merchant.marketing staff; about its own goods only), "
        "or null for the platform's (marketing.manage). An update keeps the owner.",
    )
    product_id: strawberry.ID | None = strawberry.field(default=None, description="The product it is about.")
    category_id: strawberry.ID | None = strawberry.field(default=None, description="The category it is about.")
    activity_id: strawberry.ID | None = strawberry.field(
        default=None, description="The activity it is about: a FlashSession, FlashItem or Promotion id."
    )
    sort_order: int = strawberry.field(default=0, description="Higher first in the library.")


@strawberry.type(description="Outcome of a material change.")
class MaterialPayload:
    material: Material | None = strawberry.field(default=None, description="The material after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="One material's share figures over a range (business days).")
class MaterialStats:
    material_id: strawberry.ID = strawberry.field(description="The material.")
    clicks: int = strawberry.field(description="Visits of tracking links carrying it.")
    sign_ups: int = strawberry.field(
        description="Users who signed up through those links (sign-up, link or first order)."
    )
    buyers: int = strawberry.field(description="Of those sign-ups, the ones who have paid an order by now.")
    orders: int = strawberry.field(description="Orders paid in the range by users who signed up through it.")
    order_goods: Money = strawberry.field(description="Their goods amount (GMV, shipping excluded).")
    sign_up_rate_bp: int | None = strawberry.field(
        description="Sign-ups / clicks in basis points (10000 = 100 %, rounded down); null without clicks."
    )
    buyer_rate_bp: int | None = strawberry.field(
        description="Buyers / sign-ups in basis points (rounded down); null without sign-ups."
    )

    row: strawberry.Private[m.Material | None]

    @strawberry.field(description="The material (its title, kind and what it is about).")
    def material(self) -> Material | None:
        return Material(row=self.row) if self.row is not None else None

    @classmethod
    def from_figures(cls, f: centre.MaterialFigures, rows: dict[int, m.Material]) -> MaterialStats:
        return cls(
            row=rows.get(f.material_id),
            material_id=ref("Material")(f.material_id),
            clicks=f.clicks,
            sign_ups=f.sign_ups,
            buyers=f.buyers,
            orders=f.orders,
            order_goods=Money.from_fen(f.order_goods),
            sign_up_rate_bp=f.sign_up_rate_bp,
            buyer_rate_bp=f.buyer_rate_bp,
        )
