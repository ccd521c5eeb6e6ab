"""Order jobs (OPS-3): payment time-outs, auto-complete, refund retries, message delivery.

Each is safe on several workers at once: the runner's lease keeps one run at a time, and
every row changes by a conditional UPDATE, so an overlapping run skips what is done.
"""

from __future__ import annotations

from services.orders import fulfilment as orders
from services.orders import messages, payments


async def cancel_unpaid() -> str:
    return f"cancelled {await payments.cancel_expired()} unpaid checkouts"


async def complete_delivered() -> str:
    return f"completed {await orders.auto_complete_due()} orders"


async def retry_refunds() -> str:
    return f"confirmed {await payments.retry_pending_refunds()} gateway refunds"


async def send_messages() -> str:
    return f"sent {await messages.deliver_pending()} messages"
