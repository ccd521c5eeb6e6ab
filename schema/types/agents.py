"""Regional agent types (MEM-2): assignments, the partner settings (agent rates, the store
share and the pickup reward of MEM-3), inputs and payloads."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from models import agents as m
from schema.errors import UserError
from schema.money import Amount, Money
from schema.node import Node, node_id
from schema.types.accounts import PublicUser


@strawberry.enum(description="An agent's region level: PROVINCE (code ends in 0000), CITY (ends in 00) or COUNTY.")
class AgentLevel(Enum):
    PROVINCE = strawberry.enum_value(1, description="A province (region code ends in 0000).")
    CITY = strawberry.enum_value(2, description="A city (region code ends in 00).")
    COUNTY = strawberry.enum_value(3, description="A county or district.")


@strawberry.type(
    description="A user appointed agent of a region (MEM-2): earns the level's rate of the goods amount of "
    "orders delivered to or picked up in the region. Ended assignments are kept (audit)."
)
class AgentAssignment(Node):
    id: strawberry.ID = node_id("AgentAssignment", description="Assignment id.")
    region_code: str = strawberry.field(description="Six-digit region code (GB/T 2260).")
    assigned_at: datetime = strawberry.field(description="When the agent was appointed.")
    ended_at: datetime | None = strawberry.field(description="When the assignment ended; null while it runs.")

    @strawberry.field(description="The region's level.")
    def level(self: m.AgentAssignment) -> AgentLevel:
        return AgentLevel(self.level)

    @strawberry.field(description="Whether the assignment is running.")
    def active(self: m.AgentAssignment) -> bool:
        return self.ended_at is None

    @strawberry.field(description="The agent.")
    async def user(self: m.AgentAssignment, info: Info) -> PublicUser | None:
        user = await info.context.loaders.user.load(self.user_id)
        return PublicUser.from_model(user) if user else None


@strawberry.type(
    description="Agent rates and franchise terms in force (MEM-2, MEM-3). Every commission of a line together "
    "never exceeds its goods amount: distribution first, then the agents (province, city, county), the store share, the pickup "
    "reward — the later ones are cut first."
)
class PartnerSettings:
    province_rate_bp: int = strawberry.field(
        description="Province agents' rate, basis points of the goods amount (100 = 1 %)."
    )
    city_rate_bp: int = strawberry.field(description="City agents' rate, basis points.")
    county_rate_bp: int = strawberry.field(description="County agents' rate, basis points.")
    store_share_bp: int = strawberry.field(
        description="A franchise store's share of its members' orders, basis points (300-2000)."
    )
    pickup_reward: Money = strawberry.field(description="What a franchise store earns per pickup it hands over.")
    updated_at: datetime | None = strawberry.field(description="Last saved; null while the defaults are in force.")

    @classmethod
    def from_view(cls, view) -> PartnerSettings:
        t = view.terms
        return cls(
            province_rate_bp=t.province_rate_bp,
            city_rate_bp=t.city_rate_bp,
            county_rate_bp=t.county_rate_bp,
            store_share_bp=t.store_share_bp,
            pickup_reward=Money.from_fen(t.pickup_reward),
            updated_at=view.updated_at,
        )


@strawberry.input(description="Appoint a regional agent.")
class AssignAgentInput:
    user_id: strawberry.ID = strawberry.field(description="The user to appoint.")
    level: AgentLevel = strawberry.field(description="The region's level.")
    region_code: str = strawberry.field(description="Six-digit code of a region of that level.")


@strawberry.input(description="The whole partner settings (replaced as a whole; a refusal changes nothing).")
class PartnerSettingsInput:
    province_rate_bp: int = strawberry.field(description="Province agents' rate, 0-1000 basis points.")
    city_rate_bp: int = strawberry.field(description="City agents' rate, 0-1000 basis points.")
    county_rate_bp: int = strawberry.field(description="County agents' rate, 0-1000 basis points.")
    store_share_bp: int = strawberry.field(description="Franchise store share, 300-2000 basis points (3-20 %).")
    pickup_reward: Amount = strawberry.field(description="Reward per pickup, in yuan (0 to 1000).")


@strawberry.type(description="Outcome of an agent appointment or its end.")
class AgentAssignmentPayload:
    assignment: AgentAssignment | None = strawberry.field(default=None, description="The assignment as it is now.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of saving the partner settings.")
class PartnerSettingsPayload:
    settings: PartnerSettings | None = strawberry.field(default=None, description="The settings now in force.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")
