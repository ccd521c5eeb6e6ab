"""One database read per live event per process, however many subscribers need it.

A user's channel has a subscriber per open tab or device, a merchant's one per staff screen:
each used to load the event's row for itself. `shared_load(event, key, load)` runs `load`
once for that event (the decoded event object every subscriber of the channel receives,
`hub.SharedEvent`) and key, and hands every caller the same result. The caller still checks
that the row is its viewer's: the load is by id only, so it can be shared.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

T = TypeVar("T")

# Events whose loads are remembered, per event loop: all subscribers of one event read it
# within moments of each other, so a few thousand recent events are plenty.
MEMO_EVENTS = 4096

_memos: WeakKeyDictionary[asyncio.AbstractEventLoop, OrderedDict[int, tuple[Any, dict]]] = WeakKeyDictionary()


def shared_load(event: Any, key: Hashable, load: Callable[[], Awaitable[T]]) -> Awaitable[T]:
    """`load()`'s result for this event and key; the first caller starts it, the others wait
    for the same answer. Shielded: a subscriber that goes away does not cancel it for the rest."""
    loop = asyncio.get_running_loop()
    memo = _memos.get(loop)
    if memo is None:
        memo = _memos[loop] = OrderedDict()
    entry = memo.get(id(event))
    if entry is None or entry[0] is not event:  # keyed by identity; the event is kept alive with it
        entry = memo[id(event)] = (event, {})
        while len(memo) > MEMO_EVENTS:
            memo.popitem(last=False)
    loads = entry[1]
    future = loads.get(key)
    if future is None:
        future = loads[key] = asyncio.ensure_future(load())
    return asyncio.shield(future)
