"""Merchants, their staff and rates, offline stores (MER-1..3).

Types resolve straight from Tortoise rows (`self` in a resolver is the row). Private
parts of a merchant are checked field by field with the viewer's merchant grants.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from models import merchants as m
from schema.degrees import DEGREES_SCALAR, SCALAR_MAP, Degrees  # noqa: F401 (re-exported)
from schema.enums import describe_values
from schema.errors import UserError, api_error
from schema.money import Amount, Money
from schema.node import Node, encode, node_id
from schema.types.accounts import PublicUser
from services.accounts import access
from services.core.errors import DomainError

# Degrees: the coordinates scalar, shared with the addresses (schema.degrees).


@strawberry.enum(
    description="Where a merchant is in its life: PENDING_REVIEW (applied, waiting for review), ACTIVE (trading), "
    "REJECTED (application refused; the applicant may apply again), SUSPENDED (by the platform; may be reinstated)."
)
class MerchantStatus(Enum):
    PENDING_REVIEW = strawberry.enum_value("PENDING", description="Applied, waiting for an admin's review.")
    ACTIVE = strawberry.enum_value("ACTIVE", description="Trading.")
    REJECTED = strawberry.enum_value(
        "REJECTED", description="Application refused by the reviewer; the applicant may apply again."
    )
    SUSPENDED = strawberry.enum_value("SUSPENDED", description="Suspended by the platform; may be reinstated.")


@strawberry.enum(
    description="Who runs a merchant: SELF_OPERATED (the platform itself, 自营) or THIRD_PARTY (an independent merchant)."
)
class MerchantKind(str, Enum):
    SELF_OPERATED = "SELF_OPERATED"
    THIRD_PARTY = "THIRD_PARTY"


describe_values(
    MerchantKind, {"SELF_OPERATED": "The platform itself (自营).", "THIRD_PARTY": "An independent merchant."}
)


@strawberry.enum(
    description="How a user belongs to a merchant: OWNER (the applicant, every permission) or STAFF (permissions granted by the owner)."
)
class MerchantRole(str, Enum):
    OWNER = "OWNER"
    STAFF = "STAFF"


describe_values(
    MerchantRole,
    {"OWNER": "The applicant, with every permission.", "STAFF": "Staff with the permissions the owner granted."},
)


# --------------------------------------------------------------------------- access


async def _require(info: Info, merchant_id: int, permission: str, owner_id: int | None = None) -> None:
    viewer = info.context.viewer
    if viewer is not None and owner_id is not None and viewer.id == owner_id:
        return  # the owner, even of a merchant created earlier in this very request
    try:
        access.require_merchant(await info.context.grants(), merchant_id, permission)
    except DomainError as exc:
        raise api_error(exc) from exc


# --------------------------------------------------------------------------- merchants


@strawberry.type(description="What anyone may see of an active merchant.")
class Merchant(Node):
    id: strawberry.ID = node_id("Merchant", description="Merchant id.")
    name: str = strawberry.field(description="Shop name, unique.")
    kind: MerchantKind = strawberry.field(description="Self-operated by the platform, or a third party.")
    description: str = strawberry.field(description="About the merchant, may be empty.")
    logo_url: str = strawberry.field(description="Logo image URL, may be empty.")


@strawberry.type(description="One decision on a merchant (audit trail): who, when, why, from and to which status.")
class MerchantReview(Node):
    id: strawberry.ID = node_id("MerchantReview", description="Review id.")
    action: str = strawberry.field(description="APPROVE, REJECT, SUSPEND or REINSTATE.")
    from_status: MerchantStatus = strawberry.field(description="Status before the decision.")
    to_status: MerchantStatus = strawberry.field(description="Status after the decision.")

    @strawberry.field(description="The administrator who decided.")
    def actor_id(self: m.MerchantReview) -> strawberry.ID:
        return encode("User", self.actor_id)

    reason: str = strawberry.field(description="Why (required to reject or suspend).")
    created_at: datetime = strawberry.field(description="When.")


@strawberry.type(description="A per-category override of a merchant's platform commission rate.")
class MerchantCategoryRate:
    @strawberry.field(description="The category (its subcategories inherit the override).")
    def category_id(self: m.MerchantCategoryRate) -> strawberry.ID:
        return encode("Category", self.category_id)

    commission_rate_bp: int = strawberry.field(description="Platform commission in basis points (500 = 5 %).")


@strawberry.type(description="A member of a merchant's staff and the merchant permissions the owner granted.")
class MerchantStaffMember(Node):
    id: strawberry.ID = node_id("MerchantStaffMember", description="Staff record id.")
    permissions: list[str] = strawberry.field(description="Granted merchant permissions, e.g. merchant.orders.")
    created_at: datetime = strawberry.field(description="When the owner added this person.")

    @strawberry.field(description="The staff member.")
    async def user(self: m.MerchantStaff, info: Info) -> PublicUser | None:
        user = await info.context.loaders.user.load(self.user_id)
        return PublicUser.from_model(user) if user else None


@strawberry.type(description="A merchant as its owner, its staff with merchant.settings, and administrators see it.")
class ManagedMerchant(Node):
    id: strawberry.ID = node_id("Merchant", description="Merchant id (the same as its public view's).")
    name: str = strawberry.field(description="Shop name, unique.")
    kind: MerchantKind = strawberry.field(description="Self-operated or third party.")
    status: MerchantStatus = strawberry.field(description="Review status.")
    legal_name: str = strawberry.field(description="Registered company name.")
    business_license_no: str = strawberry.field(description="Business licence number.")
    contact_name: str = strawberry.field(description="Contact person.")
    contact_phone: str = strawberry.field(
        description="Contact phone, E.164, in full: this type is only shown to the merchant's owner and settings staff and to merchant administrators. Encrypted at rest."
    )
    description: str = strawberry.field(description="About the merchant.")
    logo_url: str = strawberry.field(description="Logo image URL.")
    reject_reason: str = strawberry.field(description="Why the application was last rejected; empty otherwise.")
    reviewed_at: datetime | None = strawberry.field(description="When the last review decision was taken.")
    low_stock_threshold: int = strawberry.field(description="A SKU at or below this stock raises a low-stock alert.")
    auto_delist_at_zero: bool = strawberry.field(
        description="Delist a product when its stock reaches zero (relist on restock)."
    )
    created_at: datetime = strawberry.field(description="When the merchant applied.")

    @strawberry.field(description="Shipping template: the flat fee per order.")
    def shipping_fee(self: m.Merchant) -> Money:
        return Money.from_fen(self.shipping_fee)

    @strawberry.field(description="Shipping template: free shipping at or above this goods amount (0: never free).")
    def free_shipping_threshold(self: m.Merchant) -> Money:
        return Money.from_fen(self.free_shipping_threshold)

    @strawberry.field(description="The owner (applicant).")
    async def owner(self: m.Merchant, info: Info) -> PublicUser | None:
        user = await info.context.loaders.user.load(self.owner_id)
        return PublicUser.from_model(user) if user else None

    @strawberry.field(description="The viewer's merchant permissions here (all of them for administrators).")
    async def my_permissions(self: m.Merchant, info: Info) -> list[str]:
        viewer = info.context.viewer
        grants = await info.context.grants()
        if (viewer is not None and viewer.id == self.owner_id) or grants.has("merchant.manage"):
            return sorted(access.OWNER_PERMISSIONS)
        return sorted(grants.scoped.get(("MERCHANT", self.id), set()))

    @strawberry.field(description="Platform commission in basis points (500 = 5 %). Needs merchant.finance.")
    async def commission_rate_bp(self: m.Merchant, info: Info) -> int | None:
        await _require(info, self.id, "merchant.finance", self.owner_id)
        return self.commission_rate_bp

    @strawberry.field(description="Per-category commission overrides. Needs merchant.finance.")
    async def category_rates(self: m.Merchant, info: Info) -> list[MerchantCategoryRate] | None:
        await _require(info, self.id, "merchant.finance", self.owner_id)
        return await info.context.loaders.category_rates_by_merchant.load(self.id)

    @strawberry.field(description="Staff and their permissions. Needs merchant.staff (the owner).")
    async def staff(self: m.Merchant, info: Info) -> list[MerchantStaffMember] | None:
        await _require(info, self.id, "merchant.staff", self.owner_id)
        return await info.context.loaders.staff_by_merchant.load(self.id)

    @strawberry.field(description="Review decisions, oldest first.")
    async def reviews(self: m.Merchant, info: Info) -> list[MerchantReview] | None:
        await _require(info, self.id, "merchant.settings", self.owner_id)
        return await info.context.loaders.reviews_by_merchant.load(self.id)

    @strawberry.field(description="All the merchant's offline stores, active or not.")
    async def stores(self: m.Merchant, info: Info) -> list[Store] | None:
        await _require(info, self.id, "merchant.settings", self.owner_id)
        return await info.context.loaders.stores_by_merchant.load(self.id)


@strawberry.type(description="A merchant the signed-in user owns or works for.")
class MerchantMembership:
    merchant: Merchant = strawberry.field(description="The merchant (public fields; `managedMerchant` has the rest).")
    status: MerchantStatus = strawberry.field(description="The merchant's review status.")
    role: MerchantRole = strawberry.field(description="Owner or staff.")
    permissions: list[str] = strawberry.field(description="The merchant permissions held there.")


# --------------------------------------------------------------------------- stores


@strawberry.type(description="When a store is open on one weekday (one interval; a day may have several).")
class OpeningHours:
    weekday: int = strawberry.field(description="1 = Monday ... 7 = Sunday.")
    opens: str = strawberry.field(description='Opening time, "HH:MM".')
    closes: str = strawberry.field(description='Closing time, "HH:MM" (24:00 = midnight).')


@strawberry.type(description="Someone who verifies pickups at a store.")
class StoreStaffMember(Node):
    id: strawberry.ID = node_id("StoreStaffMember", description="Store staff record id.")
    created_at: datetime = strawberry.field(description="When they were added.")

    @strawberry.field(
        description="The store permissions they hold at the store: store.pickup and store.cashier always, "
        "and what the owner granted (store.refund)."
    )
    def permissions(self: m.StoreStaff) -> list[str]:
        return sorted({"store.pickup", "store.cashier", *(self.permissions or [])})

    @strawberry.field(description="The staff member.")
    async def user(self: m.StoreStaff, info: Info) -> PublicUser | None:
        user = await info.context.loaders.user.load(self.user_id)
        return PublicUser.from_model(user) if user else None


@strawberry.type(description="An offline store (门店): pickup point and service location of a merchant.")
class Store(Node):
    id: strawberry.ID = node_id("Store", description="Store id.")
    name: str = strawberry.field(description="Store name.")
    phone: str = strawberry.field(
        description="Store phone, E.164; may be empty. A published business line, so shown in full; encrypted at rest."
    )
    province_code: str = strawberry.field(description="Six-digit province code.")
    city_code: str = strawberry.field(description="Six-digit city code.")
    county_code: str = strawberry.field(description="Six-digit county/district code.")
    region_name: str = strawberry.field(description="Province, city and county as text.")
    address: str = strawberry.field(description="Street address.")
    latitude: Degrees = strawberry.field(description="Latitude, WGS-84 degrees.")
    longitude: Degrees = strawberry.field(description="Longitude, WGS-84 degrees.")
    service_items: list[str] = strawberry.field(description="Services offered, e.g. pickup, repair.")
    is_active: bool = strawberry.field(description="Inactive stores are hidden from customers.")

    @strawberry.field(description="Opening hours, by weekday then time.")
    def opening_hours(self: m.Store) -> list[OpeningHours]:
        return [OpeningHours(weekday=h["weekday"], opens=h["opens"], closes=h["closes"]) for h in self.opening_hours]

    @strawberry.field(description="The merchant running the store.")
    async def merchant(self: m.Store, info: Info) -> Merchant | None:
        return await info.context.loaders.merchant.load(self.merchant_id)

    @strawberry.field(
        description="Franchise invite code of the store (MEM-3). Needs merchant.settings for its merchant."
    )
    async def invite_code(self: m.Store, info: Info) -> str | None:
        await _require(info, self.merchant_id, "merchant.settings")
        return self.invite_code

    @strawberry.field(description="Store staff. Needs merchant.staff for its merchant.")
    async def staff(self: m.Store, info: Info) -> list[StoreStaffMember] | None:
        await _require(info, self.merchant_id, "merchant.staff")
        return await info.context.loaders.staff_by_store.load(self.id)


@strawberry.type(description="A store found by `nearestStores`, with its distance from the search point.")
class NearbyStore:
    store: Store = strawberry.field(description="The store.")
    distance_meters: int = strawberry.field(
        description="Great-circle distance from the search point, metres (rounded)."
    )


# --------------------------------------------------------------------------- inputs and payloads


@strawberry.input(description="A merchant application: the business details the platform reviews.")
class MerchantApplicationInput:
    name: str = strawberry.field(description="Shop name (1-64 characters, unique).")
    legal_name: str = strawberry.field(description="Registered company name (1-128 characters).")
    business_license_no: str = strawberry.field(description="Business licence number (1-64 characters).")
    contact_name: str = strawberry.field(description="Contact person (1-64 characters).")
    contact_phone: str = strawberry.field(description="Contact phone number.")
    description: str = strawberry.field(default="", description="About the merchant (at most 1024 characters).")
    logo_url: str = strawberry.field(default="", description="Logo image URL, http(s).")


@strawberry.input(description="Merchant settings to change; omitted fields stay as they are.")
class MerchantSettingsInput:
    description: str | None = strawberry.field(
        default=None, description="About the merchant (at most 1024 characters)."
    )
    logo_url: str | None = strawberry.field(default=None, description="Logo image URL, http(s); empty removes it.")
    contact_name: str | None = strawberry.field(default=None, description="Contact person.")
    contact_phone: str | None = strawberry.field(default=None, description="Contact phone number.")
    shipping_fee: Amount | None = strawberry.field(
        default=None, description="Flat shipping fee per order, in yuan (0 to 10000)."
    )
    free_shipping_threshold: Amount | None = strawberry.field(
        default=None, description='Free shipping at or above this goods amount, in yuan; "0" = never free.'
    )
    low_stock_threshold: int | None = strawberry.field(default=None, description="Low-stock alert level per SKU.")
    auto_delist_at_zero: bool | None = strawberry.field(default=None, description="Delist products at zero stock.")


@strawberry.input(description="One opening interval.")
class OpeningHoursInput:
    weekday: int = strawberry.field(description="1 = Monday ... 7 = Sunday.")
    opens: str = strawberry.field(description='Opening time, "HH:MM".')
    closes: str = strawberry.field(description='Closing time, "HH:MM", after opening ("24:00" = midnight).')


@strawberry.input(description="An offline store's details.")
class StoreInput:
    name: str = strawberry.field(description="Store name (1-64 characters).")
    province_code: str = strawberry.field(description="Six-digit province code.")
    city_code: str = strawberry.field(description="Six-digit city code, within the province.")
    county_code: str = strawberry.field(description="Six-digit county code, within the city.")
    address: str = strawberry.field(description="Street address (1-256 characters).")
    latitude: Degrees = strawberry.field(description="Latitude, WGS-84 degrees (-90..90).")
    longitude: Degrees = strawberry.field(description="Longitude, WGS-84 degrees (-180..180).")
    phone: str = strawberry.field(default="", description="Store phone (mobile or landline); may be empty.")
    region_name: str = strawberry.field(default="", description="Province, city and county as text.")
    opening_hours: list[OpeningHoursInput] = strawberry.field(default_factory=list, description="Opening intervals.")
    service_items: list[str] = strawberry.field(
        default_factory=list, description="Services offered (each 1-32 characters, at most 20)."
    )


@strawberry.type(description="Outcome of a merchant mutation.")
class MerchantPayload:
    merchant: ManagedMerchant | None = strawberry.field(default=None, description="The merchant after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of adding or changing a merchant staff member.")
class MerchantStaffPayload:
    staff: MerchantStaffMember | None = strawberry.field(default=None, description="The staff member after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of a store mutation.")
class StorePayload:
    store: Store | None = strawberry.field(default=None, description="The store after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of adding a store staff member.")
class StoreStaffPayload:
    staff: StoreStaffMember | None = strawberry.field(default=None, description="The new store staff member.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")
