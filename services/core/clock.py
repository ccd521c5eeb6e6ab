"""The one place services read the time, so tests can start it at a chosen instant and move it.

In production the clock is the wall clock. With `CLOCK_START` set (tests, demos, and the
servers a test starts) it reads that instant when the process starts and runs on from it in
real time; `advance()` moves it forward and `reset()` takes it back to the start. The ORM's
`auto_now` timestamps follow the same clock once `drive_orm_timestamps()` has run, so a row
written after `advance()` is dated like everything else the services compare it with.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

_base = timedelta(0)  # the start instant minus the wall clock (zero without a start)
_offset = timedelta(0)  # what advance() added since the last reset
_start: datetime | None = None


def _wall() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


def now() -> datetime:
    return _wall() + _base + _offset


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; one without a zone is UTC."""
    instant = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def start_at(instant: datetime | None, *, wall: float | None = None) -> None:
    """The clock reads `instant` at wall time `wall` (a Unix time; default: now) and runs on
    from it (None: the wall clock). Processes given the same pair read the same time."""
    global _start, _base, _offset
    _start = instant
    anchor = datetime.fromtimestamp(wall, UTC) if wall is not None else _wall()
    _base = (instant - anchor) if instant is not None else timedelta(0)
    _offset = timedelta(0)


def anchored_now() -> tuple[str, str]:
    """(CLOCK_START, CLOCK_START_AT) for a child process whose clock must read this one's."""
    wall = time.time()
    instant = datetime.fromtimestamp(wall, UTC) + _base + _offset
    return instant.isoformat(), repr(wall)


def start() -> datetime | None:
    return _start


def advance(delta: timedelta) -> None:
    """Move the service clock forward (tests only)."""
    global _offset
    _offset += delta


def reset() -> None:
    """Back to the start instant (or the wall clock), as at the beginning of a test."""
    start_at(_start)


def drive_orm_timestamps() -> None:
    """Make Tortoise's `auto_now` / `auto_now_add` read this clock (it calls
    `tortoise.timezone.now()` at every save)."""
    from tortoise import timezone as orm_timezone

    def orm_now() -> datetime:
        moment = now()
        return moment if orm_timezone.get_use_tz() else moment.replace(tzinfo=None)

    orm_timezone.now = orm_now


if os.environ.get("CLOCK_START"):
    # CLOCK_START_AT (a Unix time): when that instant was true; servers started by a test share
    # the test's clock exactly, however long each took to start.
    _at = os.environ.get("CLOCK_START_AT")
    start_at(parse_instant(os.environ["CLOCK_START"]), wall=float(_at) if _at else None)
