"""Regional agents (MEM-2) and the partner settings: appoint / end agents, agent rates,
store share and pickup reward (agent.manage); my agent regions."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import USER_IDS, api_errors, login_required, parse_id, payload_errors, requires, viewer
from schema.pagination import Connection, to_connection
from schema.types.agents import (
    AgentAssignment,
    AgentAssignmentPayload,
    AssignAgentInput,
    PartnerSettings,
    PartnerSettingsInput,
    PartnerSettingsPayload,
)
from services.core.pagination import paginate
from services.distribution import agents


@strawberry.type
class AgentQueries:
    @strawberry.field(
        description="Agent rates, store share and pickup reward in force (agent.manage).",
        extensions=requires("agent.manage"),
    )
    async def partner_settings(self) -> PartnerSettings:
        return PartnerSettings.from_view(await agents.current_terms_view())

    @strawberry.field(
        description="Regional agent assignments, newest first (agent.manage).", extensions=requires("agent.manage")
    )
    @api_errors
    async def regional_agents(
        self,
        active_only: Annotated[bool, strawberry.argument(description="Only running assignments.")] = True,
        region_code: Annotated[str | None, strawberry.argument(description="Only this region.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[AgentAssignment]:
        qs = agents.assignments(active_only=active_only, region_code=region_code)
        return to_connection(await paginate(qs, first, after))

    @strawberry.field(description="The regions I am agent of (running assignments).", extensions=login_required())
    async def my_agent_regions(self, info: Info) -> list[AgentAssignment]:
        return await agents.assignments(user_id=viewer(info).id).order_by("id")


@strawberry.type
class AgentMutations:
    @strawberry.mutation(
        description="Appoint a user agent of a province, city or county (agent.manage). One running agent per "
        "region: NOT_FOUND for a code that is not a region of that level, AGENT_REGION_TAKEN when it has one.",
        extensions=requires("agent.manage"),
    )
    @payload_errors
    async def assign_regional_agent(
        self, info: Info, input: Annotated[AssignAgentInput, strawberry.argument(description="Who and where.")]
    ) -> AgentAssignmentPayload:
        row = await agents.assign(
            await info.context.grants(),
            viewer(info).id,
            parse_id(input.user_id, "userId", of=USER_IDS),
            input.level.value,
            input.region_code,
        )
        return AgentAssignmentPayload(assignment=row)

    @strawberry.mutation(
        description="End a running agent assignment (agent.manage); commissions already booked stay.",
        extensions=requires("agent.manage"),
    )
    @payload_errors
    async def end_regional_agent(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The assignment.")]
    ) -> AgentAssignmentPayload:
        return AgentAssignmentPayload(
            assignment=await agents.end(
                await info.context.grants(), viewer(info).id, parse_id(id, "id", of="AgentAssignment")
            )
        )

    @strawberry.mutation(
        description="Replace the agent rates, store share and pickup reward (agent.manage; audited).",
        extensions=requires("agent.manage"),
    )
    @payload_errors
    async def update_partner_settings(
        self, info: Info, input: Annotated[PartnerSettingsInput, strawberry.argument(description="The new settings.")]
    ) -> PartnerSettingsPayload:
        terms = agents.Terms(
            input.province_rate_bp,
            input.city_rate_bp,
            input.county_rate_bp,
            input.store_share_bp,
            input.pickup_reward,
        )
        view = await agents.update_terms(await info.context.grants(), viewer(info).id, terms)
        return PartnerSettingsPayload(settings=PartnerSettings.from_view(view))
