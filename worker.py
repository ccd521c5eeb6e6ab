"""The worker process (Procfile `worker`): runs due scheduled jobs in a loop.

Several workers may run at once (on several hosts): jobs are claimed with a lease.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from tortoise import Tortoise

import logs
import safety
import settings
import wiring
from jobs.runner import run_due_jobs, worker_id
from schema import response_cache
from services.core import events
from subscriptions.hub import create_broadcast, create_outbox

log = logging.getLogger("worker")


async def main(once: bool = False) -> None:
    logs.log_start("worker")
    safety.enforce("worker")
    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    broadcast = create_broadcast(settings.BROADCAST_URL, settings.SUBSCRIBER_QUEUE_SIZE)
    await broadcast.connect()
    outbox = create_outbox(broadcast)
    outbox.start()
    events.set_publisher(outbox.put)  # jobs' events reach web processes through Redis
    response_cache.install()  # and the jobs' catalog changes (stock released at zero) their caches
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    me = worker_id()
    log.info("worker %s started; tick %.0fs", me, settings.WORKER_TICK_SECONDS)
    try:
        while not stop.is_set():
            await run_due_jobs(me)  # logs the runs that did something, and every failure
            if once:
                break
            try:
                await asyncio.wait_for(stop.wait(), timeout=settings.WORKER_TICK_SECONDS)
            except TimeoutError:
                pass
    finally:
        events.set_publisher(None)
        events.set_change_listener(None)
        store = response_cache.shared_store()
        if store is not None:
            await store.close()
        await outbox.stop()
        await broadcast.disconnect()
        await Tortoise.close_connections()


if __name__ == "__main__":
    import sys

    logs.configure()
    asyncio.run(main(once="--once" in sys.argv))
