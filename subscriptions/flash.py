"""A flash item's units left, live (MKT-3): public. The first message is the item as it is;
then every change (`FlashStockChanged` on `flash:{item id}`, carrying what is left) is
coalesced: at most FLASH_STOCK_UPDATES_PER_SECOND messages per subscriber, however many units
sell, and the last value always follows. No query per event; a RESYNC (events may have been
lost) re-reads the item once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

import settings
from resolvers.common import parse_id
from schema.errors import ApiError, api_error
from schema.node import ref
from schema.types.flash import FlashState, FlashStock
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.marketing import flash
from services.marketing import flash_rules as rules
from services.marketing.events import FlashStockChanged
from subscriptions.hub import RESYNC, SlowConsumer, listen

_item_ref = ref("FlashItem")


class _Latest:
    """What the listener saw since the last message."""

    def __init__(self) -> None:
        self.left: int | None = None
        self.resync = False
        self.error: BaseException | None = None
        self.changed = asyncio.Event()


async def _pump(item_id: int, latest: _Latest) -> None:
    try:
        async for event in listen(flash.channel(item_id)):
            if event is RESYNC:
                latest.resync = True
            elif isinstance(event, FlashStockChanged) and event.item_id == item_id:
                latest.left = event.left
            else:
                continue
            latest.changed.set()
    except BaseException as exc:  # SlowConsumer, the broadcast gone: the stream ends with it
        latest.error = exc
        latest.changed.set()
        raise


def _message(view: flash.ItemView, left: int) -> FlashStock:
    s = view.item.session
    state = rules.state(clock.now(), s.starts_at, s.ends_at, left, s.status == flash.CANCELLED)
    return FlashStock(item_id=_item_ref(view.item.id), left=left, state=FlashState(state))


@strawberry.type
class FlashSubscriptions:
    @strawberry.subscription(
        description="A flash item's units left: now, then as they change (at most a few messages a second; the last value always arrives)."
    )
    async def flash_stock(
        self, flash_item_id: Annotated[strawberry.ID, strawberry.argument(description="The flash item.")]
    ) -> AsyncGenerator[FlashStock, None]:
        try:
            pk = parse_id(flash_item_id, "flashItemId", of="FlashItem")
        except DomainError as exc:
            raise api_error(exc) from exc
        latest = _Latest()
        task = asyncio.create_task(_pump(pk, latest))
        try:
            await asyncio.sleep(0)  # subscribed before the first read: no change falls between
            view = await flash.item_view(pk)
            if view is None:
                raise api_error(DomainError(ErrorCode.NOT_FOUND, "No such flash item.", "flashItemId"))
            interval = 1.0 / max(settings.FLASH_STOCK_UPDATES_PER_SECOND, 0.1)
            sent, last = view.left, time.monotonic()
            yield _message(view, sent)
            while True:
                await latest.changed.wait()
                pause = last + interval - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)  # changes meanwhile coalesce into one message
                latest.changed.clear()
                if latest.error is not None:
                    if isinstance(latest.error, SlowConsumer):
                        raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.")
                    raise latest.error
                if latest.resync:
                    latest.resync, latest.left = False, None
                    view = await flash.item_view(pk) or view
                    left = view.left
                else:
                    left = sent if latest.left is None else latest.left
                sent, last = left, time.monotonic()
                yield _message(view, left)
        finally:
            task.cancel()
