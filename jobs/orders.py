"""Order jobs (OPS-3): payment time-outs, auto-complete, refund retries, message delivery.

Each is safe on several workers at once: the runner's lease keeps one run at a time, and
every row changes by a conditional UPDATE, so an overlapping run skips what is done.
"""

from __future__ import annotations

from datetime import timedelta

from jobs.runner import Job, register
from services import messages, orders, payments


async def cancel_unpaid() -> str:
    return f"cancelled {await payments.cancel_expired()} unpaid checkouts"


async def complete_delivered() -> str:
    return f"completed {await orders.auto_complete_due()} orders"


async def retry_refunds() -> str:
    return f"confirmed {await payments.retry_pending_refunds()} gateway refunds"


async def send_messages() -> str:
    return f"sent {await messages.deliver_pending()} messages"


register(Job("cancel_unpaid_orders", every=timedelta(minutes=1), run=cancel_unpaid))
register(Job("auto_complete_orders", every=timedelta(minutes=10), run=complete_delivered))
register(Job("retry_gateway_refunds", every=timedelta(minutes=5), run=retry_refunds))
register(Job("send_order_messages", every=timedelta(seconds=10), run=send_messages))
