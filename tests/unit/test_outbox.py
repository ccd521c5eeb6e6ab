"""The live-event outbox: `put` never waits, order is kept, a failing publisher is retried
with one warning and one recovery line, a full buffer drops its oldest (counted) and the
recovery then announces the loss."""

import asyncio
import logging

from subscriptions.outbox import Outbox


class FlakyPublisher:
    def __init__(self) -> None:
        self.up = True
        self.published: list[tuple[str, str]] = []
        self.lost_announced = 0

    async def publish(self, channel: str, message: str) -> None:
        if not self.up:
            raise ConnectionError("Redis is away")
        self.published.append((channel, message))

    async def on_lost(self) -> None:
        self.lost_announced += 1


async def _until(condition, timeout=3.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_events_go_out_in_order_and_put_never_waits():
    target = FlakyPublisher()
    outbox = Outbox(target.publish, 100)
    outbox.start()
    try:
        for i in range(10):
            await outbox.put("user:1", str(i))
        await _until(lambda: len(target.published) == 10)
        assert [m for _, m in target.published] == [str(i) for i in range(10)]
    finally:
        await outbox.stop()


async def test_an_outage_logs_once_keeps_the_events_and_recovers(caplog):
    caplog.set_level(logging.WARNING, logger="subscriptions.outbox")
    target = FlakyPublisher()
    outbox = Outbox(target.publish, 100, on_lost=target.on_lost)
    outbox.start()
    try:
        target.up = False
        for i in range(5):
            outbox.put_nowait("user:1", str(i))
        await asyncio.sleep(0.6)  # several retries
        target.up = True
        await _until(lambda: len(target.published) == 5)
        assert [m for _, m in target.published] == ["0", "1", "2", "3", "4"]
        messages = [r.getMessage() for r in caplog.records]
        assert sum("is failing" in m for m in messages) == 1, messages
        assert sum("recovered" in m for m in messages) == 1, messages
        assert not any(r.exc_info for r in caplog.records)
        assert target.lost_announced == 0 and outbox.dropped == 0
    finally:
        await outbox.stop()


async def test_a_full_buffer_drops_the_oldest_counts_it_and_announces_the_loss():
    import metrics

    before = metrics.EVENTS_PUBLISH_DROPPED.labels("user")._value.get()
    target = FlakyPublisher()
    target.up = False
    outbox = Outbox(target.publish, 3, on_lost=target.on_lost)
    outbox.start()
    try:
        for i in range(6):
            outbox.put_nowait("user:1", str(i))
        assert len(outbox) <= 3
        await asyncio.sleep(0.1)
        target.up = True
        await _until(lambda: target.lost_announced == 1)
        assert [m for _, m in target.published] == ["3", "4", "5"]
        assert outbox.dropped == 3
        assert metrics.EVENTS_PUBLISH_DROPPED.labels("user")._value.get() - before == 3
    finally:
        await outbox.stop()
