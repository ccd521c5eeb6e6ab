"""Becoming a distributor (DIS-3) and the distributor centre (DIS-5): settings, applications
and their review, team per level, performance and promotion statistics, invite link and QR
code, leaderboards."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from models import distributors as m
from schema.errors import UserError
from schema.money import Amount, Money
from schema.node import Node, encode, node_id
from schema.types.consignment_stats import StatsPeriod
from services.core.masking import mask_name
from services.distribution import centre, distributors


@strawberry.enum(
    description="How users become distributors: AUTO (everyone; every upline earns), THRESHOLD (apply; "
    "accepted at once on enough paid spending and/or paid orders), APPROVAL (apply; an administrator reviews). "
    "Outside AUTO an upline who is not a distributor earns nothing: their level is skipped and the platform keeps it."
)
class DistributorMode(Enum):
    AUTO = strawberry.enum_value("AUTO", description="Everyone is a distributor; every upline earns.")
    THRESHOLD = strawberry.enum_value(
        "THRESHOLD", description="Users apply and are accepted at once on enough paid spending and/or paid orders."
    )
    APPROVAL = strawberry.enum_value("APPROVAL", description="Users apply and an administrator reviews.")


@strawberry.enum(description="With both thresholds set: ALL (both must be met) or ANY (one is enough).")
class ThresholdMatch(Enum):
    ALL = strawberry.enum_value("ALL", description="Both thresholds must be met.")
    ANY = strawberry.enum_value("ANY", description="One threshold is enough.")


@strawberry.enum(
    description="A distributor application's state: PENDING_REVIEW (waiting for review), APPROVED, REJECTED."
)
class DistributorApplicationStatus(Enum):
    PENDING_REVIEW = strawberry.enum_value("PENDING", description="Waiting for an admin's review.")
    APPROVED = strawberry.enum_value("APPROVED", description="Approved: the applicant is a distributor.")
    REJECTED = strawberry.enum_value("REJECTED", description="Refused by the reviewer.")


@strawberry.enum(
    description="What a leaderboard ranks: COMMISSION (commission booked in the period) or NEW_MEMBERS "
    "(users who signed up through the distributor's invite code in the period)."
)
class LeaderboardBy(Enum):
    COMMISSION = strawberry.enum_value("COMMISSION", description="Commission booked in the period.")
    NEW_MEMBERS = strawberry.enum_value(
        "NEW_MEMBERS", description="Users who signed up through the distributor's invite code in the period."
    )


@strawberry.type(description="How users become distributors (DIS-3).")
class DistributorSettings:
    mode: DistributorMode = strawberry.field(description="AUTO, THRESHOLD or APPROVAL.")
    min_spent: Money = strawberry.field(
        description="THRESHOLD: paid spending needed (pay amount net of refunds); 0 = no condition."
    )
    min_paid_orders: int = strawberry.field(description="THRESHOLD: paid orders needed; 0 = no condition.")
    match: ThresholdMatch = strawberry.field(description="With both thresholds set: ALL or ANY.")
    updated_at: datetime | None = strawberry.field(description="Last saved; null while the defaults are in force.")

    @classmethod
    def from_rules(cls, r: distributors.Rules) -> DistributorSettings:
        return cls(
            mode=DistributorMode(r.mode),
            min_spent=Money.from_fen(r.min_spent),
            min_paid_orders=r.min_paid_orders,
            match=ThresholdMatch(r.match),
            updated_at=r.updated_at,
        )


@strawberry.input(description="New distributor settings (replaces them as a whole).")
class DistributorSettingsInput:
    mode: DistributorMode = strawberry.field(description="AUTO, THRESHOLD or APPROVAL.")
    min_spent: Amount = strawberry.field(
        default=Amount(0), description='THRESHOLD: paid spending needed, in yuan ("0" = no condition).'
    )
    min_paid_orders: int = strawberry.field(default=0, description="THRESHOLD: paid orders needed; 0 = no condition.")
    match: ThresholdMatch = strawberry.field(
        default=ThresholdMatch.ALL, description="With both thresholds set: ALL or ANY."
    )


@strawberry.type(description="An application to become a distributor, and its outcome.")
class DistributorApplication(Node):
    pk: strawberry.Private[int]
    id: strawberry.ID = node_id("DistributorApplication", "pk", description="The application.")
    status: DistributorApplicationStatus = strawberry.field(description="PENDING_REVIEW, APPROVED or REJECTED.")
    mode: DistributorMode = strawberry.field(description="The mode it was made under.")
    applicant_id: strawberry.ID = strawberry.field(description="The applicant's user id.")
    applicant_nickname: str = strawberry.field(description="The applicant's nickname, masked.")
    spent: Money = strawberry.field(description="The applicant's paid spending when applying.")
    paid_orders: int = strawberry.field(description="The applicant's paid orders when applying.")
    reason: str = strawberry.field(description="The reviewer's reason (rejections).")
    reviewed_at: datetime | None = strawberry.field(description="When it was decided; null while pending.")
    created_at: datetime = strawberry.field(description="When it was made.")

    @classmethod
    def from_row(cls, row: m.DistributorApplication, nickname: str = "") -> DistributorApplication:
        return cls(
            pk=row.id,
            status=DistributorApplicationStatus(row.status),
            mode=DistributorMode(row.mode),
            applicant_id=strawberry.ID(encode("User", row.user_id)),
            applicant_nickname=mask_name(nickname),
            spent=Money.from_fen(row.spent),
            paid_orders=row.paid_orders,
            reason=row.reason,
            reviewed_at=row.reviewed_at,
            created_at=row.created_at,
        )


@strawberry.type(description="Whether I am a distributor, and where my application stands.")
class DistributorStatus:
    mode: DistributorMode = strawberry.field(description="The mode in force.")
    is_distributor: bool = strawberry.field(description="True: I earn commissions and can use the distributor centre.")
    application: DistributorApplication | None = strawberry.field(description="My latest application, if any.")
    spent: Money = strawberry.field(description="My paid spending (pay amount of paid orders, net of refunds).")
    paid_orders: int = strawberry.field(description="My paid orders.")
    missing: list[str] = strawberry.field(description="THRESHOLD: what I still lack to be accepted; empty otherwise.")


@strawberry.type(description="Result of applying or of a review.")
class DistributorApplicationPayload:
    application: DistributorApplication | None = strawberry.field(
        default=None, description="The application as it is now."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Result of saving the distributor settings.")
class DistributorSettingsPayload:
    settings: DistributorSettings | None = strawberry.field(default=None, description="The settings now in force.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="How many members my team has per level (the upline tree as it is now).")
class TeamCounts:
    level1: int = strawberry.field(description="Users whose referrer I am.")
    level2: int = strawberry.field(description="Users whose referrer is on my level 1.")
    level3: int = strawberry.field(description="Users whose referrer is on my level 2.")
    total: int = strawberry.field(description="All three levels.")


@strawberry.type(description="A member of my team, as a distributor may see them (name masked).")
class TeamMember:
    level: int = strawberry.field(description="1, 2 or 3.")
    masked_name: str = strawberry.field(description="Nickname, masked (阿*).")
    joined_at: datetime = strawberry.field(description="When they were bound to their referrer.")
    paid_orders: int = strawberry.field(description="Their paid orders.")
    paid_amount: Money = strawberry.field(description="What they paid (net of refunds).")

    @classmethod
    def from_member(cls, m_: centre.Member) -> TeamMember:
        return cls(
            level=m_.level,
            masked_name=m_.masked_name,
            joined_at=m_.joined_at,
            paid_orders=m_.paid_orders,
            paid_amount=Money.from_fen(m_.paid_amount),
        )


@strawberry.type(description="My team's performance and my commissions over one day, week or month of the range.")
class PerformanceBucket:
    start: date = strawberry.field(description="First day counted (business days).")
    end: date = strawberry.field(description="Last day counted.")
    team_orders: int = strawberry.field(description="Orders paid by my team (levels 1-3) in these days.")
    team_goods: Money = strawberry.field(description="Their goods amount (shipping excluded, before refunds).")
    commission_booked: Money = strawberry.field(description="My commissions booked in these days (amount when booked).")
    commission_released: Money = strawberry.field(
        description="My commissions released to my wallet in these days (net of reversals)."
    )

    @classmethod
    def from_row(cls, p: centre.Performance) -> PerformanceBucket:
        return cls(
            start=p.first,
            end=p.last,
            team_orders=p.team_orders,
            team_goods=Money.from_fen(p.team_goods),
            commission_booked=Money.from_fen(p.commission_booked),
            commission_released=Money.from_fen(p.commission_released),
        )


@strawberry.type(description="My performance by period, and its total over the range.")
class DistributorPerformance:
    period: StatsPeriod = strawberry.field(description="How the range is cut.")
    buckets: list[PerformanceBucket] = strawberry.field(
        description="One per day, week or month, in order (zeros included)."
    )
    total: PerformanceBucket = strawberry.field(description="The whole range.")


@strawberry.type(description="My tracking link's results over one day, week or month of the range.")
class PromotionBucket:
    start: date = strawberry.field(description="First day counted (business days).")
    end: date = strawberry.field(description="Last day counted.")
    clicks: int = strawberry.field(description="Visits of my tracking link.")
    sign_ups: int = strawberry.field(
        description="Users bound to me through my invite code (sign-up, link or first order)."
    )
    buyers: int = strawberry.field(description="Of those sign-ups, the ones who have paid an order by now.")
    orders: int = strawberry.field(description="Orders paid in these days by users who signed up through my code.")
    order_goods: Money = strawberry.field(description="Their goods amount.")
    sign_up_rate_bp: int | None = strawberry.field(
        description="Sign-ups / clicks in basis points (10000 = 100 %, rounded down); null without clicks."
    )
    buyer_rate_bp: int | None = strawberry.field(
        description="Buyers / sign-ups in basis points (rounded down); null without sign-ups."
    )

    @classmethod
    def from_row(cls, p: centre.Promotion) -> PromotionBucket:
        return cls(
            start=p.first,
            end=p.last,
            clicks=p.clicks,
            sign_ups=p.sign_ups,
            buyers=p.buyers,
            orders=p.orders,
            order_goods=Money.from_fen(p.order_goods),
            sign_up_rate_bp=p.sign_up_rate_bp,
            buyer_rate_bp=p.buyer_rate_bp,
        )


@strawberry.type(
    description="My promotion statistics by period (link clicks, sign-ups, buyers, conversion), and the total."
)
class PromotionStats:
    period: StatsPeriod = strawberry.field(description="How the range is cut.")
    buckets: list[PromotionBucket] = strawberry.field(
        description="One per day, week or month, in order (zeros included)."
    )
    total: PromotionBucket = strawberry.field(description="The whole range.")


@strawberry.type(description="My invite link and its QR code.")
class InviteLink:
    code: str = strawberry.field(description="My invite code.")
    url: str = strawberry.field(
        description="The tracking link to share: counts the visit, then opens sign-up with my code."
    )
    signup_url: str = strawberry.field(
        description="Where the tracking link leads (the storefront's sign-up with my code)."
    )
    qr_png_url: str = strawberry.field(description="The link's QR code as a PNG image.")
    qr_svg_url: str = strawberry.field(description="The link's QR code as an SVG image.")

    @strawberry.field(description="The link's QR code as an SVG data URI (data:image/svg+xml,...), to show inline.")
    def qr_svg_data_uri(self) -> str:
        return centre.qr_svg_data_uri(self.code)

    @classmethod
    def from_invite(cls, i: centre.Invite) -> InviteLink:
        return cls(code=i.code, url=i.url, signup_url=i.signup_url, qr_png_url=i.qr_png_url, qr_svg_url=i.qr_svg_url)


@strawberry.type(description="One place on a leaderboard.")
class LeaderboardEntry:
    rank: int = strawberry.field(description="1 is the top; ties go to the older account.")
    masked_name: str = strawberry.field(description="The distributor's nickname, masked.")
    new_members: int | None = strawberry.field(description="NEW_MEMBERS: the members gained; null for COMMISSION.")
    amount: Money | None = strawberry.field(
        description="COMMISSION: the commission booked as money; null for NEW_MEMBERS."
    )
    is_me: bool = strawberry.field(description="True on my own entry.")


@strawberry.type(description="Top distributors of a day, week or month.")
class Leaderboard:
    by: LeaderboardBy = strawberry.field(description="What is ranked.")
    period: StatsPeriod = strawberry.field(description="Day, week or month.")
    start: date = strawberry.field(description="The period's first day (business days).")
    end: date = strawberry.field(description="The period's last day.")
    entries: list[LeaderboardEntry] = strawberry.field(description="Best first, at most `limit`.")
