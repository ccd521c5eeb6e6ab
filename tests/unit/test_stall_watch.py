"""slow_clients.StallWatch on a fake socket, with short intervals."""

import asyncio

from slow_clients import SLOW_CLIENT_CLOSE, StallWatch


class FakeSocket:
    def __init__(self) -> None:
        self.pings = 0
        self.closed: tuple[int, str] | None = None

    async def ping(self) -> None:
        self.pings += 1

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def watch(socket: FakeSocket) -> StallWatch:
    return StallWatch(socket.ping, socket.close, ping_every=0.02, timeout=0.1)


async def test_a_client_that_never_answers_is_closed_with_1013():
    socket = FakeSocket()
    w = watch(socket)
    w.sent()
    await asyncio.sleep(0.3)
    assert socket.pings == 1 and socket.closed == (SLOW_CLIENT_CLOSE, "slow consumer") and w.closed_as_slow
    await w.stop()


async def test_a_client_that_answers_keeps_its_socket_however_much_it_is_sent():
    socket = FakeSocket()
    w = watch(socket)
    for _ in range(30):
        w.sent()
        await asyncio.sleep(0.01)
        w.ponged()  # a prompt client's pong
    await asyncio.sleep(0.05)
    assert socket.pings >= 5 and socket.closed is None
    await w.stop()


async def test_an_idle_socket_is_not_pinged():
    socket = FakeSocket()
    w = watch(socket)
    w.sent()
    await asyncio.sleep(0.05)
    w.ponged()
    pings = socket.pings
    await asyncio.sleep(0.3)  # nothing sent since: no more pings, never closed
    assert socket.pings == pings and socket.closed is None
    await w.stop()
