"""A group-buy team's progress, live (MKT-3): public (members are masked). The first message is
the team as it is; then, on every change (`GroupTeamChanged` on `group_team:{team id}`, from any
process through the broadcast), the team read again: members, seats left, time left, state.
A RESYNC (events may have been lost) re-reads it as well."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from resolvers.common import parse_id
from schema.errors import ApiError, api_error
from schema.types.group import GroupTeam
from services.core.errors import DomainError, ErrorCode
from services.marketing import group
from services.marketing.events import GroupTeamChanged
from subscriptions.hub import RESYNC, SlowConsumer, listen


@strawberry.type
class GroupSubscriptions:
    @strawberry.subscription(
        description="A group-buy team's progress: now, then at every change (a seat taken, paid or released; formed, failed)."
    )
    async def group_team(
        self, team_id: Annotated[strawberry.ID, strawberry.argument(description="The team.")]
    ) -> AsyncGenerator[GroupTeam, None]:
        try:
            pk = parse_id(team_id, "teamId", of="GroupTeam")
        except DomainError as exc:
            raise api_error(exc) from exc
        queue: asyncio.Queue = asyncio.Queue()

        async def pump() -> None:
            try:
                async for event in listen(group.channel(pk)):
                    if event is RESYNC or (isinstance(event, GroupTeamChanged) and event.team_id == pk):
                        queue.put_nowait(event)
            except BaseException as exc:  # SlowConsumer, the broadcast gone: the stream ends with it
                queue.put_nowait(exc)
                raise

        task = asyncio.create_task(pump())
        try:
            await asyncio.sleep(0)  # subscribed before the first read: no change falls between
            view = await group.team_view(pk)
            if view is None:
                raise api_error(DomainError(ErrorCode.NOT_FOUND, "No such team.", "teamId"))
            yield GroupTeam(view=view)
            while True:
                event = await queue.get()
                while not queue.empty():  # a burst: one read for all of it
                    later = queue.get_nowait()
                    event = later if isinstance(later, BaseException) else event
                if isinstance(event, SlowConsumer):
                    raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.")
                if isinstance(event, BaseException):
                    raise event
                view = await group.team_view(pk) or view
                yield GroupTeam(view=view)
        finally:
            task.cancel()
