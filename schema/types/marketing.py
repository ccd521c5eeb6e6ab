"""Coupon types (MKT-1, MKT-6): templates, the coupons users hold, and their inputs."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from models import marketing as m
from schema.errors import UserError
from schema.money import Amount, Money
from schema.node import Node, encode, node_id, ref
from schema.types.catalog import Zone
from services.marketing.coupons import USED


@strawberry.enum(description="What a coupon takes off.")
class CouponKind(Enum):
    FIXED = strawberry.enum_value(
        "FIXED", description="A fixed amount off the goods it covers (an optional threshold)."
    )
    PERCENT = strawberry.enum_value(
        "PERCENT", description="A percentage off (rateBp basis points), at most `cap` when one is set."
    )
    THRESHOLD = strawberry.enum_value(
        "THRESHOLD", description="满X减Y: `amount` off when the goods it covers reach `threshold`."
    )
    FREE_SHIPPING = strawberry.enum_value(
        "FREE_SHIPPING", description="Waives the shipping of the orders it covers, at most `amount` when set."
    )


@strawberry.enum(description="Where a coupon template is in its life.")
class CouponTemplateStatus(Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="Created, not yet claimable.")
    ACTIVE = strawberry.enum_value("ACTIVE", description="Claimable (when `claimable`) and issuable.")
    PAUSED = strawberry.enum_value(
        "PAUSED", description="Neither claimable nor issuable for now; coupons held stay valid."
    )
    ENDED = strawberry.enum_value("ENDED", description="Over for good; coupons held stay valid until they expire.")


@strawberry.enum(description="Where a user's coupon is in its life.")
class UserCouponStatus(Enum):
    CLAIMED = strawberry.enum_value("CLAIMED", description="Held, usable while valid.")
    USED = strawberry.enum_value("USED", description="Used by a checkout.")
    RETURNED = strawberry.enum_value(
        "RETURNED", description="Given back after a cancelled or refunded checkout: usable again while valid."
    )
    EXPIRED = strawberry.enum_value("EXPIRED", description="Past its validity, unused.")


@strawberry.enum(description="How a user got a coupon.")
class CouponSource(Enum):
    CLAIM = strawberry.enum_value("CLAIM", description="Claimed in the storefront.")
    ISSUE = strawberry.enum_value("ISSUE", description="Issued by the platform or the merchant.")


def _ids(type_name: str, ids) -> list[strawberry.ID]:
    return [encode(type_name, i) for i in ids]


@strawberry.type(
    description="Which goods a coupon covers: every list given must match (categories include their "
    "subcategories); exclusions exclude."
)
class CouponScope:
    stored: strawberry.Private[dict]

    @strawberry.field(description="Only goods of these categories or their subcategories (empty: any).")
    def category_ids(self) -> list[strawberry.ID]:
        return _ids("Category", self.stored.get("categoryIds", ()))

    @strawberry.field(description="Only these products (empty: any).")
    def product_ids(self) -> list[strawberry.ID]:
        return _ids("Product", self.stored.get("productIds", ()))

    @strawberry.field(description="Only these merchants' goods (empty: any; a merchant's coupon: its own only).")
    def merchant_ids(self) -> list[strawberry.ID]:
        return _ids("Merchant", self.stored.get("merchantIds", ()))

    @strawberry.field(description="Only these zones (empty: any).")
    def zones(self) -> list[Zone]:
        return [Zone(z) for z in self.stored.get("zones", ())]

    @strawberry.field(description="Never these categories or their subcategories.")
    def excluded_category_ids(self) -> list[strawberry.ID]:
        return _ids("Category", self.stored.get("excludedCategoryIds", ()))

    @strawberry.field(description="Never these products.")
    def excluded_product_ids(self) -> list[strawberry.ID]:
        return _ids("Product", self.stored.get("excludedProductIds", ()))

    @strawberry.field(description="Never these zones (by default the wholesale zone).")
    def excluded_zones(self) -> list[Zone]:
        return [Zone(z) for z in self.stored.get("excludedZones", ())]


_merchant_ref = ref("Merchant")


@strawberry.type(
    description="A kind of coupon, issued by the platform or by a merchant (who funds it): what it takes off, "
    "where, how long it is valid, how many exist."
)
class CouponTemplate(Node):
    row: strawberry.Private[m.CouponTemplate]
    used: strawberry.Private[int | None] = None
    mine: strawberry.Private[int] = 0

    id: strawberry.ID = node_id("CouponTemplate", "row.id", description="The template's id.")

    @strawberry.field(description="The issuing merchant, who funds it; null: the platform's.")
    def merchant_id(self) -> strawberry.ID | None:
        return _merchant_ref(self.row.merchant_id)

    @strawberry.field(description="Its name, e.g. 满100减10.")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="A longer description, may be empty.")
    def description(self) -> str:
        return self.row.description

    @strawberry.field(description="What it takes off.")
    def kind(self) -> CouponKind:
        return CouponKind(self.row.kind)

    @strawberry.field(
        description="FIXED / THRESHOLD: the amount off; FREE_SHIPPING: the most waived (null: all of it); "
        "PERCENT: null."
    )
    def amount(self) -> Money | None:
        return Money.from_fen(self.row.amount) if self.row.amount else None

    @strawberry.field(description="PERCENT: basis points off (1000 = 10 % off, 9折); else null.")
    def rate_bp(self) -> int | None:
        return self.row.rate_bp or None

    @strawberry.field(description="PERCENT: the most it takes off (null: no cap).")
    def cap(self) -> Money | None:
        return Money.from_fen(self.row.cap) if self.row.cap else None

    @strawberry.field(description="The goods it covers must reach this (null: no threshold).")
    def threshold(self) -> Money | None:
        return Money.from_fen(self.row.threshold) if self.row.threshold else None

    @strawberry.field(description="Which goods it covers.")
    def scope(self) -> CouponScope:
        return CouponScope(stored=self.row.scope)

    @strawberry.field(description="A fixed validity window's start (null: validDays after claiming).")
    def valid_from(self) -> datetime | None:
        return self.row.valid_from

    @strawberry.field(description="A fixed validity window's end: claimable and usable until then.")
    def valid_until(self) -> datetime | None:
        return self.row.valid_until

    @strawberry.field(description="Valid this many days after claiming (null: the fixed window).")
    def valid_days(self) -> int | None:
        return self.row.valid_days or None

    @strawberry.field(description="How many exist in all (claimed and issued).")
    def total_quantity(self) -> int:
        return self.row.total_quantity

    @strawberry.field(description="How many one user may claim (issues do not count).")
    def per_user_limit(self) -> int:
        return self.row.per_user_limit

    @strawberry.field(description="Claimed and issued so far.")
    def claimed_count(self) -> int:
        return self.row.claimed_count

    @strawberry.field(description="Still to be claimed or issued.")
    def remaining(self) -> int:
        return max(self.row.total_quantity - self.row.claimed_count, 0)

    @strawberry.field(description="Used by checkouts (null outside couponTemplates).")
    def used_count(self) -> int | None:
        return self.used

    @strawberry.field(description="How many the viewer has claimed (0 when signed out).")
    def claimed_by_me(self) -> int:
        return self.mine

    @strawberry.field(description="Combines with another coupon of the same issuer (else one per checkout or order).")
    def stacks(self) -> bool:
        return self.row.stacks

    @strawberry.field(description="Listed in the storefront to claim (false: issued only).")
    def claimable(self) -> bool:
        return self.row.claimable

    @strawberry.field(description="Where it is in its life.")
    def status(self) -> CouponTemplateStatus:
        return CouponTemplateStatus(self.row.status)

    @strawberry.field(description="When it was created.")
    def created_at(self) -> datetime:
        return self.row.created_at


@strawberry.type(description="A coupon a user holds.")
class UserCoupon(Node):
    row: strawberry.Private[m.UserCoupon]

    id: strawberry.ID = node_id("UserCoupon", "row.id", description="The coupon's id: pass it to checkout.")

    @strawberry.field(description="What kind of coupon it is.")
    def template(self) -> CouponTemplate:
        return CouponTemplate(row=self.row.template)

    @strawberry.field(description="Where it is in its life.")
    def status(self) -> UserCouponStatus:
        return UserCouponStatus(self.row.status)

    @strawberry.field(description="Claimed or issued.")
    def source(self) -> CouponSource:
        return CouponSource(self.row.source)

    @strawberry.field(description="Usable from.")
    def valid_from(self) -> datetime:
        return self.row.valid_from

    @strawberry.field(description="Usable until (exclusive).")
    def expires_at(self) -> datetime:
        return self.row.expires_at

    @strawberry.field(description="When it was claimed or issued.")
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="When a checkout used it (null unless USED).")
    def used_at(self) -> datetime | None:
        return self.row.used_at if self.row.status == USED else None

    @strawberry.field(description="The payment of the checkout that used it (null unless USED).")
    def payment_id(self) -> strawberry.ID | None:
        return encode("Payment", self.row.payment_id) if self.row.payment_id else None

    @strawberry.field(description="A merchant coupon's order (null unless USED, and for the platform's).")
    def order_id(self) -> strawberry.ID | None:
        return encode("Order", self.row.order_id) if self.row.order_id else None

    @strawberry.field(description="What it took off that checkout, goods and shipping (null unless USED).")
    def discount(self) -> Money | None:
        return Money.from_fen(self.row.discount) if self.row.payment_id else None


@strawberry.input(description="Which goods a coupon covers; every list given must match, exclusions exclude.")
class CouponScopeInput:
    category_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Categories (with their subcategories)."
    )
    product_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Products (a merchant: its own only)."
    )
    merchant_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Merchants (a merchant's coupon: itself only)."
    )
    zones: list[Zone] = strawberry.field(default_factory=list, description="Zones.")
    excluded_category_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Categories (with their subcategories) never covered."
    )
    excluded_product_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Products never covered."
    )
    excluded_zones: list[Zone] | None = strawberry.field(
        default=None, description="Zones never covered; omitted: the wholesale zone."
    )


@strawberry.input(description="A new coupon template.")
class CouponTemplateInput:
    name: str = strawberry.field(description="1 to 64 characters, e.g. 满100减10.")
    kind: CouponKind = strawberry.field(description="What it takes off.")
    total_quantity: int = strawberry.field(description="How many exist in all: 1 to 10,000,000.")
    merchant_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The issuing merchant (its merchant.marketing staff; funded by it); omitted: the platform's "
        "(marketing.manage).",
    )
    description: str = strawberry.field(default="", description="Up to 256 characters.")
    amount: Amount | None = strawberry.field(
        default=None, description="FIXED / THRESHOLD: the amount off; FREE_SHIPPING: the most waived (omitted: all)."
    )
    rate_bp: int | None = strawberry.field(
        default=None, description="PERCENT: basis points off, 1 to 10000 (1000 = 10 % off)."
    )
    cap: Amount | None = strawberry.field(default=None, description="PERCENT: the most it takes off.")
    threshold: Amount | None = strawberry.field(
        default=None, description="The goods it covers must reach this (THRESHOLD: required, at least `amount`)."
    )
    scope: CouponScopeInput | None = strawberry.field(default=None, description="Which goods (omitted: all).")
    valid_from: datetime | None = strawberry.field(default=None, description="A fixed validity window's start.")
    valid_until: datetime | None = strawberry.field(
        default=None, description="A fixed validity window's end (in the future)."
    )
    valid_days: int | None = strawberry.field(
        default=None, description="Or: valid this many days after claiming (1 to 3650)."
    )
    per_user_limit: int = strawberry.field(default=1, description="Claims per user, 1 to 100.")
    stacks: bool = strawberry.field(default=False, description="Combines with another coupon of the same issuer.")
    claimable: bool = strawberry.field(default=True, description="Listed in the storefront (false: issued only).")
    activate: bool = strawberry.field(default=True, description="ACTIVE at once (false: DRAFT).")


@strawberry.type(description="Outcome of a coupon template mutation.")
class CouponTemplatePayload:
    template: CouponTemplate | None = strawberry.field(default=None, description="The template after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of claimCoupon.")
class ClaimCouponPayload:
    coupon: UserCoupon | None = strawberry.field(default=None, description="The coupon claimed.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of issueCoupons.")
class IssueCouponsPayload:
    coupons: list[UserCoupon] = strawberry.field(default_factory=list, description="One coupon per user, in order.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.enum(description="What happened to one of my coupons.")
class CouponEventKind(Enum):
    GRANTED = strawberry.enum_value("GRANTED", description="I claimed it or was issued it.")
    USED = strawberry.enum_value("USED", description="A checkout of mine used it.")
    RETURNED = strawberry.enum_value("RETURNED", description="It came back (a cancelled checkout, a refund).")
    EXPIRED = strawberry.enum_value("EXPIRED", description="It expired unused.")
    EXPIRING = strawberry.enum_value(
        "EXPIRING", description="It is unused and expires soon (within a day by default); told once per coupon."
    )


@strawberry.type(description="A live change to one of my coupons.")
class CouponEvent:
    kind: CouponEventKind = strawberry.field(description="What happened.")
    coupon: UserCoupon = strawberry.field(description="The coupon as it is now.")


@strawberry.type(description="A coupon template's figures over one day, week or month (or the whole range).")
class CouponStatsBucket:
    start: date = strawberry.field(description="First day.")
    end: date = strawberry.field(description="Last day.")
    claimed: int = strawberry.field(description="Coupons claimed or issued.")
    used: int = strawberry.field(description="Coupons used by checkouts (those given back do not count).")
    orders: int = strawberry.field(description="Orders they were used on.")
    gmv: Money = strawberry.field(description="What the buyers paid for those orders.")
    discount: Money = strawberry.field(description="What the coupons took off: their cost to the funder.")

    @classmethod
    def of(cls, start: date, end: date, figures: dict) -> CouponStatsBucket:
        return cls(
            start=start,
            end=end,
            claimed=figures["claimed"],
            used=figures["used"],
            orders=figures["orders"],
            gmv=Money.from_fen(figures["gmv"]),
            discount=Money.from_fen(figures["discount"]),
        )


@strawberry.type(description="A coupon template's statistics.")
class CouponStats:
    buckets: list[CouponStatsBucket] = strawberry.field(description="One per day, week or month.")
    totals: CouponStatsBucket = strawberry.field(description="The whole range.")
