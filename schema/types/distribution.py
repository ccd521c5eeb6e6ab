"""Three-level distribution types (DIS-1, DIS-2, DIS-4): settings, commissions, my totals,
live commission events."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from models import distribution as m
from schema.errors import UserError
from schema.money import Amount, Money, fixed_and_rate, fixed_or_rate
from schema.node import Node, node_id
from services.core.masking import mask_name
from services.distribution.commission_math import Config


@strawberry.enum(
    description="A commission's state: FROZEN (until the order completes and the freeze period passes), "
    "RISK_REVIEW (held by risk control: not released until reviewed), SETTLED (in the wallet), REVERSED (every unit "
    "refunded), REJECTED (refused by risk review)."
)
class CommissionStatus(Enum):
    FROZEN = strawberry.enum_value(
        "PENDING", description="Booked, frozen until the order completes and the freeze period passes."
    )
    RISK_REVIEW = strawberry.enum_value("HELD", description="Held by risk control; not released until reviewed.")
    SETTLED = strawberry.enum_value("AVAILABLE", description="Released to the wallet.")
    REVERSED = strawberry.enum_value("REVERSED", description="Every unit refunded: taken back.")
    REJECTED = strawberry.enum_value("REJECTED", description="Refused by risk review.")


@strawberry.enum(
    description="What a commission is for: DISTRIBUTION (the buyer's referral chain, levels 1-3), AGENT "
    "(regional agent, MEM-2: level 1 province, 2 city, 3 county), STORE_SHARE (my franchise store's share of its member's "
    "order, MEM-3), STORE_PICKUP (my franchise store handed the order over)."
)
class CommissionKind(Enum):
    DISTRIBUTION = strawberry.enum_value("DISTRIBUTION", description="For the buyer's referral chain (levels 1-3).")
    AGENT = strawberry.enum_value("AGENT", description="For a regional agent (level 1 province, 2 city, 3 county).")
    STORE_SHARE = strawberry.enum_value("STORE_SHARE", description="My franchise store's share of its member's order.")
    STORE_PICKUP = strawberry.enum_value("STORE_PICKUP", description="My franchise store handed the order over.")


@strawberry.enum(
    description="How a level's commission is computed: FIXED: an amount per unit bought (amount), or PERCENT: "
    "basis points of the commission base (rateBp; 1000 = 10 %)."
)
class CommissionRuleKind(Enum):
    FIXED = strawberry.enum_value("FIXED", description="A fixed amount per unit bought.")
    PERCENT = strawberry.enum_value(
        "PERCENT", description="A share of the commission base in basis points (1000 = 10 %)."
    )


@strawberry.enum(
    description="What happened to one of my commissions: CREATED (booked, pending), AVAILABLE (released "
    "to my wallet), REVERSED (a refund took back some or all of it), REJECTED (refused by risk review)."
)
class CommissionEventKind(Enum):
    CREATED = strawberry.enum_value("CREATED", description="Booked, pending until released.")
    AVAILABLE = strawberry.enum_value("AVAILABLE", description="Released to my wallet.")
    REVERSED = strawberry.enum_value("REVERSED", description="A refund took back some or all of it.")
    REJECTED = strawberry.enum_value("REJECTED", description="Refused by risk review.")


def _split(kind: str, value: int) -> dict:
    amount, rate_bp = fixed_and_rate(kind == CommissionRuleKind.FIXED.value, value)
    return {"amount": amount, "rate_bp": rate_bp}


@strawberry.type(description="The rule paying one distribution level.")
class LevelRule:
    level: int = strawberry.field(
        description="Level, 1 (the buyer's referrer, or the buyer with self-purchase on) to 3."
    )
    kind: CommissionRuleKind = strawberry.field(description="Fixed per unit or percentage of the base.")
    amount: Money | None = strawberry.field(description="FIXED: the commission per unit; null for PERCENT.")
    rate_bp: int | None = strawberry.field(description="PERCENT: basis points of the base; null for FIXED.")


@strawberry.type(
    description="A grade-specific rule: a beneficiary of this grade earns it at this level instead of the level's rule (DIS-6)."
)
class GradeLevelRule:
    grade: str = strawberry.field(description="Member grade, e.g. V2.")
    level: int = strawberry.field(description="Level, 1 to 3.")
    kind: CommissionRuleKind = strawberry.field(description="Fixed per unit or percentage of the base.")
    amount: Money | None = strawberry.field(description="FIXED: the commission per unit; null for PERCENT.")
    rate_bp: int | None = strawberry.field(description="PERCENT: basis points of the base; null for FIXED.")


@strawberry.type(
    description="The platform's distribution settings (DIS-1). A product's own rates (CAT-3) come first, then "
    "the beneficiary's grade rule, then the level's rule; the levels together never exceed the base, the deepest level is cut first."
)
class DistributionSettings:
    levels: int = strawberry.field(description="Levels paid, 1 to 3 (never more: compliance).")
    rules: list[LevelRule] = strawberry.field(description="One rule per level, level 1 first.")
    grade_rules: list[GradeLevelRule] = strawberry.field(description="Grade-specific rules.")
    self_purchase: bool = strawberry.field(
        description="On: a buyer earns level 1 on their own purchases (their referrer level 2 …)."
    )
    freeze_days: int = strawberry.field(
        description="Days after an order completes before its commissions become available."
    )
    updated_at: datetime | None = strawberry.field(description="Last saved; null while the defaults are in force.")

    @classmethod
    def from_view(cls, view) -> DistributionSettings:
        config: Config = view.config
        return cls(
            levels=config.levels,
            rules=[
                LevelRule(level=i + 1, kind=CommissionRuleKind(r.kind), **_split(r.kind, r.value))
                for i, r in enumerate(config.rules)
            ],
            grade_rules=[
                GradeLevelRule(grade=g, level=lv, kind=CommissionRuleKind(r.kind), **_split(r.kind, r.value))
                for g, by in sorted(config.grade_rules.items())
                for lv, r in sorted(by.items())
            ],
            self_purchase=config.self_purchase,
            freeze_days=config.freeze_days,
            updated_at=view.updated_at,
        )


@strawberry.type(
    description="What I earn at one level on one order line (DIS-4), as distributor, regional agent or franchise store."
)
class Commission(Node):
    id: strawberry.ID = node_id("Commission", description="Commission id.")
    level: int = strawberry.field(
        description="My level for this purchase: 1 (direct) to 3; AGENT: 1 province, 2 city, 3 county; store kinds: 1."
    )
    status: CommissionStatus = strawberry.field(description="Pending, available, reversed or rejected.")
    created_at: datetime = strawberry.field(description="When it was booked (the order's payment).")

    @strawberry.field(
        description="What it is for: distribution, regional agent, franchise store share or pickup reward."
    )
    def kind(self: m.Commission) -> CommissionKind:
        return CommissionKind(self.kind)

    @strawberry.field(description="AGENT: the region I am agent of; null for other kinds.")
    def region_code(self: m.Commission) -> str | None:
        return self.region_code or None

    @strawberry.field(
        description="The commission base: the line's paid goods amount (after discounts, shipping excluded)."
    )
    def base(self: m.Commission) -> Money:
        return Money.from_fen(self.base)

    @strawberry.field(description="What was booked.")
    def amount(self: m.Commission) -> Money:
        return Money.from_fen(self.amount)

    @strawberry.field(description="Taken back by refunds of the line (pro rata to the units refunded).")
    def reversed(self: m.Commission) -> Money:
        return Money.from_fen(self.reversed_amount)

    @strawberry.field(
        description="Part of a reversal after release that my wallet could not cover: owed, repaid from my next commissions."
    )
    def debt_recorded(self: m.Commission) -> Money:
        return Money.from_fen(self.debt_amount)

    @strawberry.field(description="Why risk review rejected it (REJECTED only).")
    def reject_reason(self: m.Commission) -> str | None:
        return self.reject_reason or None

    @strawberry.field(description="When it became available in my wallet (SETTLED, or REVERSED after that).")
    def available_at(self: m.Commission) -> datetime | None:
        return self.available_at

    @strawberry.field(
        description="FROZEN: when the freeze ends, once the order has completed (null before). "
        "It becomes available at the next release run after that."
    )
    async def releases_at(self: m.Commission, info: Info) -> datetime | None:
        if self.status != "PENDING":
            return None
        return await info.context.loaders.distribution.release_at_by_order.load(self.order_id)

    @strawberry.field(description="The order's number.")
    async def order_no(self: m.Commission, info: Info) -> str:
        order = await info.context.loaders.orders.order.load(self.order_id)
        return order.order_no if order else ""

    @strawberry.field(description="Who bought, masked (阿强 -> 阿*).")
    async def buyer_nickname(self: m.Commission, info: Info) -> str:
        buyer = await info.context.loaders.user.load(self.buyer_id)
        return mask_name(buyer.nickname if buyer else "")


@strawberry.type(description="My commission totals (net of refunds).")
class CommissionSummary:
    pending: Money = strawberry.field(description="Booked, still frozen.")
    available: Money = strawberry.field(description="Released to my wallet.")
    reversed: Money = strawberry.field(description="Taken back by refunds.")
    rejected: Money = strawberry.field(description="Refused by risk review.")
    debt: Money = strawberry.field(description="Owed after refunds of released commissions my wallet could not cover.")


@strawberry.type(description="A live change to one of my commissions.")
class CommissionEvent:
    kind: CommissionEventKind = strawberry.field(description="What happened.")
    commission: Commission = strawberry.field(description="The commission as it is now.")
    amount: Money | None = strawberry.field(description="REVERSED: what this refund took back; null otherwise.")


@strawberry.input(description="The rule for one level.")
class LevelRuleInput:
    level: int = strawberry.field(description="Level, 1 to 3.")
    kind: CommissionRuleKind = strawberry.field(description="Fixed per unit or percentage of the base.")
    amount: Amount | None = strawberry.field(
        default=None, description="FIXED: the commission per unit, in yuan, 0 or more; null for PERCENT."
    )
    rate_bp: int | None = strawberry.field(
        default=None, description="PERCENT: basis points of the base (0-10000); null for FIXED."
    )

    def value(self) -> int:
        return fixed_or_rate(self.kind == CommissionRuleKind.FIXED, self.amount, self.rate_bp)


@strawberry.input(description="A grade-specific rule for one level.")
class GradeLevelRuleInput:
    grade: str = strawberry.field(description="Member grade: V1, V2, V3 or AGENT.")
    level: int = strawberry.field(description="Level, 1 to 3.")
    kind: CommissionRuleKind = strawberry.field(description="Fixed per unit or percentage of the base.")
    amount: Amount | None = strawberry.field(
        default=None, description="FIXED: the commission per unit, in yuan, 0 or more; null for PERCENT."
    )
    rate_bp: int | None = strawberry.field(
        default=None, description="PERCENT: basis points of the base (0-10000); null for FIXED."
    )

    def value(self) -> int:
        return fixed_or_rate(self.kind == CommissionRuleKind.FIXED, self.amount, self.rate_bp)


@strawberry.input(description="The whole distribution settings (replaced as a whole; a refusal changes nothing).")
class DistributionSettingsInput:
    levels: int = strawberry.field(description="Levels paid, 1 to 3.")
    rules: list[LevelRuleInput] = strawberry.field(description="Exactly one rule for each level 1..levels.")
    self_purchase: bool = strawberry.field(description="Whether buyers earn level 1 on their own purchases.")
    freeze_days: int = strawberry.field(
        description="Days after completion before commissions become available (0-365)."
    )
    grade_rules: list[GradeLevelRuleInput] = strawberry.field(default_factory=list, description="Grade-specific rules.")


@strawberry.type(description="Outcome of saving the distribution settings.")
class DistributionSettingsPayload:
    settings: DistributionSettings | None = strawberry.field(default=None, description="The settings now in force.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of a commission review.")
class CommissionPayload:
    commission: Commission | None = strawberry.field(default=None, description="The commission as it is now.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")
