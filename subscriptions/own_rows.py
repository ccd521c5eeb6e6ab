"""One stream shape for "my X as they change": events on the viewer's channel (`user:{id}`)
carry an id; the row is loaded once per event for all the process's subscribers
(shared_loads) and kept only when it is the viewer's; a sign-out ends the stream
(OwnSession); missed events yield a RESYNC message; a slow consumer is cut off."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any

from strawberry.types import Info

from resolvers.common import viewer
from schema.errors import ApiError
from services.core.errors import ErrorCode
from services.core.events import user_channel
from subscriptions.hub import RESYNC, SlowConsumer, listen, resync_message
from subscriptions.sessions import OwnSession
from subscriptions.shared_loads import shared_load


async def own_rows(
    info: Info,
    kinds: Mapping[type, Any],
    name: str,
    load: Callable[[Any], Awaitable[Any]],
    owner: Callable[[Any], int],
) -> AsyncGenerator[tuple[Any, Any, Any] | ApiError, None]:
    """(kind, event, row) for each event of a class in `kinds` whose row is the viewer's, or a
    RESYNC message (yield it on as is)."""
    user_id, session = viewer(info).id, OwnSession(info.context.session_id)
    try:
        async for event in listen(user_channel(user_id)):
            if event is RESYNC:  # events may have been missed: the client refetches
                yield resync_message()
                continue
            if not await session.passes(event):
                continue
            kind = kinds.get(type(event))
            if kind is None:
                continue
            row = await shared_load(event, name, lambda e=event: load(e))
            if row is None or owner(row) != user_id:
                continue
            yield kind, event, row
    except SlowConsumer:
        raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None
