"""Paid partner membership (MEM-1) and its settings, with the RISK-1 switches."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from schema.errors import UserError
from schema.money import Amount, Money
from schema.node import encode
from services.membership import membership as svc


@strawberry.enum(
    description="A membership's state: ACTIVE (valid until its end), EXPIRED (ended), REFUNDED (its purchase was refunded)."
)
class MembershipStatus(Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Valid until its end; member prices apply.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Its period ended.")
    REFUNDED = strawberry.enum_value("CANCELLED", description="Its purchase was refunded; it ended then.")


@strawberry.type(description="My partner membership: member prices apply while it is valid.")
class MyMembership:
    is_member: bool = strawberry.field(description="Valid now: member prices apply at checkout and in the cart.")
    status: MembershipStatus | None = strawberry.field(description="Null: never a member.")
    valid_until: datetime | None = strawberry.field(description="When it ends (also when expired or cancelled).")
    renew_price: Money = strawberry.field(description="Price of one period (joining or renewing).")
    period_days: int = strawberry.field(description="Days one period adds (to the current end while still valid).")
    sku_id: strawberry.ID | None = strawberry.field(
        description="The membership SKU to buy (placeOrder); null: not on sale."
    )

    @classmethod
    def of(cls, view: svc.MyMembership) -> MyMembership:
        row = view.membership
        return cls(
            is_member=view.is_member,
            status=MembershipStatus(row.status) if row else None,
            valid_until=row.expires_at if row else None,
            renew_price=Money.from_fen(view.terms.price),
            period_days=view.terms.days,
            sku_id=strawberry.ID(encode("Sku", view.sku_id)) if view.sku_id else None,
        )


@strawberry.type(description="Membership settings and the compliance switches for recruitment fees (RISK-1).")
class MembershipSettings:
    price: Money = strawberry.field(description="Price of one membership period.")
    days: int = strawberry.field(description="Days of one period.")
    referral_reward: Money = strawberry.field(
        description="Paid to the direct upline of a member's first sign-up, as a "
        "commission (0: off, the default: no commission on recruitment fees)."
    )
    gift_pack_commission: bool = strawberry.field(
        description="On: gift-pack lines enter the distribution commission base "
        "(off by default: recruitment-only fees earn nothing)."
    )
    updated_at: datetime | None = strawberry.field(description="Last saved; null while the defaults are in force.")

    @classmethod
    def of(cls, terms: svc.Terms) -> MembershipSettings:
        return cls(
            price=Money.from_fen(terms.price),
            days=terms.days,
            referral_reward=Money.from_fen(terms.referral_reward),
            gift_pack_commission=terms.gift_pack_commission,
            updated_at=terms.updated_at,
        )


@strawberry.input(description="New membership settings (replace the old ones as a whole; audited).")
class MembershipSettingsInput:
    price: Amount = strawberry.field(
        description="Price of one period, in yuan (0.01 or more); membership SKUs are repriced."
    )
    days: int = strawberry.field(description="Days of one period, 1-3660.")
    referral_reward: Amount = strawberry.field(
        default=Amount(0), description='Sign-up reward to the direct upline, in yuan; "0" = off.'
    )
    gift_pack_commission: bool = strawberry.field(
        default=False, description="Gift-pack lines earn distribution commissions."
    )


@strawberry.type(description="Outcome of saving the membership settings.")
class MembershipSettingsPayload:
    settings: MembershipSettings | None = strawberry.field(default=None, description="The settings now in force.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")
