"""SMS / template messages about orders (ORD-8), through an outbox.

Services `queue()` a message inside the unit of work that causes it, so a rolled-back
change sends nothing; the worker's `deliver_pending()` sends through the configured
sender and marks each row SENT. Senders: "log" (dev: logs the message; the row is the
record), "memory" (tests: keeps them in a list), or "package.module:Class" for a real
SMS / WeChat template-message provider implementing `MessageSender`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from tortoise.expressions import F

import settings
from models.merchants import Merchant
from models.orders import OutboundMessage
from services.core import clock
from services.core.plugins import PluginSlot

log = logging.getLogger("messages")

MAX_ATTEMPTS = 5
# An outbox row: queued, claimed by a worker, then sent (or given up after MAX_ATTEMPTS).
PENDING, SENDING, SENT, FAILED = "PENDING", "SENDING", "SENT", "FAILED"
STATUSES = (PENDING, SENDING, SENT, FAILED)


@dataclass(frozen=True)
class Message:
    user_id: int
    template: str
    params: dict[str, Any]


class MessageSender(Protocol):
    async def send(self, message: Message) -> None:
        """Deliver or raise; a raise is retried by the worker up to MAX_ATTEMPTS."""
        ...


class LogSender:
    async def send(self, message: Message) -> None:
        log.info("message to user %s: %s %s", message.user_id, message.template, message.params)


class MemorySender:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        self.sent.append(message)


sender: PluginSlot[MessageSender] = PluginSlot(
    lambda: settings.MESSAGE_SENDER, {"log": LogSender, "memory": MemorySender}
)


async def queue(user_id: int, template: str, params: dict[str, Any], conn) -> None:
    await OutboundMessage.create(user_id=user_id, template=template, params=params, using_db=conn)


async def queue_all(messages: list[Message], conn) -> None:
    """Several messages in one statement (e.g. a payment's, to the buyer and each merchant owner)."""
    if messages:
        await OutboundMessage.bulk_create(
            [OutboundMessage(user_id=m.user_id, template=m.template, params=m.params) for m in messages], using_db=conn
        )


def merchant_owner_sql(merchant_id: str) -> str:
    """A scalar subquery for a statement of the caller's: the owner of the merchant whose id is
    the SQL expression `merchant_id` (messages to a merchant go to its owner)."""
    return f"(SELECT m.owner_id FROM merchant m WHERE m.id = {merchant_id})"


async def queue_for_merchant(merchant_id: int, template: str, params: dict[str, Any], conn) -> None:
    """Messages to a merchant go to its owner's phone / WeChat."""
    owner_ids = await Merchant.filter(id=merchant_id).using_db(conn).values_list("owner_id", flat=True)
    if owner_ids:
        await queue(owner_ids[0], template, params, conn)


async def deliver_pending(limit: int = 500) -> int:
    """Worker job: send queued messages. Each row is claimed by a conditional UPDATE, so
    two workers never send one message twice."""
    rows = await OutboundMessage.filter(status=PENDING).order_by("id").limit(limit)
    sent = 0
    for row in rows:
        claimed = await OutboundMessage.filter(id=row.id, status=PENDING).update(
            status=SENDING, attempts=F("attempts") + 1
        )
        if not claimed:
            continue
        try:
            await sender.get().send(Message(row.user_id, row.template, row.params))
        except Exception:
            log.exception("sending message %s failed", row.id)
            retry = row.attempts + 1 < MAX_ATTEMPTS
            await OutboundMessage.filter(id=row.id).update(status=PENDING if retry else FAILED)
            continue
        await OutboundMessage.filter(id=row.id).update(status=SENT, sent_at=clock.now())
        sent += 1
    return sent
