"""A bargain's progress, live (MKT-3): public, like the share link. The first message is the
bargain as it is; then each change (`BargainChanged` on `bargain:{id}`: a help, a purchase, a
cancelled order freeing it) as it comes, from the event alone; a RESYNC re-reads the bargain."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from resolvers.common import parse_id
from schema.errors import ApiError, api_error
from schema.money import Money
from schema.node import ref
from schema.types.bargain import BargainProgress, BargainState
from services.core.errors import DomainError, ErrorCode
from services.marketing import bargain
from services.marketing.events import BargainChanged
from subscriptions.hub import RESYNC, SlowConsumer, listen

_bargain_ref = ref("Bargain")


def _of_view(view: bargain.BargainView) -> BargainProgress:
    return BargainProgress(
        bargain_id=_bargain_ref(view.bargain.id),
        current_price=Money.from_fen(view.bargain.price),
        helps_left=view.left,
        state=BargainState(view.state),
    )


@strawberry.type
class BargainSubscriptions:
    @strawberry.subscription(description="A bargain's progress: now, then at each help, purchase or freed order.")
    async def bargain(
        self, bargain_id: Annotated[strawberry.ID, strawberry.argument(description="The bargain.")]
    ) -> AsyncGenerator[BargainProgress, None]:
        try:
            pk = parse_id(bargain_id, "bargainId", of="Bargain")
        except DomainError as exc:
            raise api_error(exc) from exc
        queue: asyncio.Queue = asyncio.Queue()

        async def pump() -> None:
            try:
                async for event in listen(bargain.channel(pk)):
                    await queue.put(event)
            except BaseException as exc:  # SlowConsumer, the broadcast gone: the stream ends with it
                await queue.put(exc)
                raise

        task = asyncio.create_task(pump())
        try:
            await asyncio.sleep(0)  # subscribed before the first read: no change falls between
            view = await bargain.view(pk)
            if view is None:
                raise api_error(DomainError(ErrorCode.NOT_FOUND, "No such bargain.", "bargainId"))
            yield _of_view(view)
            while True:
                event = await queue.get()
                if isinstance(event, SlowConsumer):
                    raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.")
                if isinstance(event, BaseException):
                    raise event
                if event is RESYNC:
                    view = await bargain.view(pk) or view
                    yield _of_view(view)
                elif isinstance(event, BargainChanged) and event.bargain_id == pk:
                    yield BargainProgress(
                        bargain_id=_bargain_ref(pk),
                        current_price=Money.from_fen(event.price),
                        helps_left=event.left,
                        state=BargainState(event.state),
                    )
        finally:
            task.cancel()
