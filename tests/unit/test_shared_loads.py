"""shared_load: one load per event and key, however many subscribers ask at once."""

import asyncio

import pytest

from subscriptions import shared_loads
from subscriptions.shared_loads import shared_load


class Event:  # stands for the decoded event every subscriber of a channel receives
    pass


async def test_concurrent_callers_share_one_load_per_event_and_key():
    calls = []

    async def load(tag):
        calls.append(tag)
        await asyncio.sleep(0.01)
        return tag

    first, second = Event(), Event()
    results = await asyncio.gather(
        *(shared_load(first, "row", lambda: load("a")) for _ in range(50)),
        *(shared_load(first, "other", lambda: load("b")) for _ in range(5)),
        *(shared_load(second, "row", lambda: load("c")) for _ in range(5)),
    )
    assert results == ["a"] * 50 + ["b"] * 5 + ["c"] * 5
    assert sorted(calls) == ["a", "b", "c"]


async def test_a_caller_that_goes_away_does_not_cancel_the_load_for_the_others():
    started = asyncio.Event()

    async def load():
        started.set()
        await asyncio.sleep(0.02)
        return 7

    event = Event()
    leaving = asyncio.ensure_future(shared_load(event, "row", load))
    await started.wait()
    leaving.cancel()
    assert await shared_load(event, "row", load) == 7


async def test_a_failed_load_fails_every_caller_of_that_event_only():
    event = Event()

    async def broken():
        raise LookupError("gone")

    with pytest.raises(LookupError):
        await shared_load(event, "row", broken)
    with pytest.raises(LookupError):
        await shared_load(event, "row", broken)

    async def fine():
        return 1

    assert await shared_load(Event(), "row", fine) == 1


async def test_the_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(shared_loads, "MEMO_EVENTS", 10)

    async def load():
        return None

    for _ in range(50):
        await shared_load(Event(), "row", load)
    assert len(shared_loads._memos[asyncio.get_running_loop()]) <= 10
