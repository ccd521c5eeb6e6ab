"""Flash-sale rules (MKT-3) as pure functions over plain values, tested without a database
(tests/unit/test_flash_rules.py): a session's time slot in the business time zone, the
state the storefront shows, and the admission decision that both the Redis script
(`TAKE_SCRIPT`, the same rule in Lua) and the database path apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from services.core.errors import DomainError, ErrorCode

UPCOMING = "UPCOMING"
ON = "ON"
SOLD_OUT = "SOLD_OUT"
ENDED = "ENDED"
STATES = (UPCOMING, ON, SOLD_OUT, ENDED)

# Admission answers (the Lua script returns them as negative numbers, a unit taken as >= 0).
ADMITTED = "ADMITTED"
NOT_LOADED = "NOT_LOADED"  # Redis has no counters for the item (a restart, first use): load them
NOT_STARTED = "NOT_STARTED"
OVER = "OVER"
LIMIT = "LIMIT"
GONE = "GONE"
SCRIPT_CODES = {-1: NOT_LOADED, -2: NOT_STARTED, -3: OVER, -4: LIMIT, -5: GONE}
REFUSALS = {
    NOT_STARTED: (ErrorCode.FLASH_NOT_STARTED, "The flash sale has not started yet."),
    OVER: (ErrorCode.FLASH_ENDED, "The flash sale is over."),
    LIMIT: (ErrorCode.LIMIT_REACHED, "You already have as many as one buyer may."),
    GONE: (ErrorCode.SOLD_OUT, "Sold out."),
}

MAX_SESSION_MINUTES = 24 * 60
MAX_FLASH_STOCK = 1_000_000
MAX_PER_USER = 100
_SLOT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def slot_window(day: date, slot: str, minutes: int, utc_offset_hours: int) -> tuple[datetime, datetime]:
    """The UTC instants a session at `slot` ("HH:MM", business time) on the business `day`
    opens and closes. INVALID_INPUT for a malformed slot or a length out of 1 .. 24 h."""
    match = _SLOT.match(slot or "")
    if match is None:
        raise DomainError(ErrorCode.INVALID_INPUT, "A time slot is HH:MM (00:00 to 23:59).", "slot")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_SESSION_MINUTES:
        raise DomainError(ErrorCode.INVALID_INPUT, "A session lasts 1 minute to 24 hours.", "durationMinutes")
    tz = timezone(timedelta(hours=utc_offset_hours))
    starts = datetime.combine(day, time(int(match[1]), int(match[2])), tzinfo=tz).astimezone(UTC)
    return starts, starts + timedelta(minutes=minutes)


def business_day(now: datetime, utc_offset_hours: int) -> date:
    return (now.astimezone(UTC) + timedelta(hours=utc_offset_hours)).date()


def day_bounds(day: date, utc_offset_hours: int) -> tuple[datetime, datetime]:
    """The UTC instants a business day starts and ends."""
    start = datetime.combine(day, time(0), tzinfo=timezone(timedelta(hours=utc_offset_hours)))
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def state(now: datetime, starts_at: datetime, ends_at: datetime, left: int, cancelled: bool = False) -> str:
    """What the storefront shows of an item (`left` its units) or a session (`left` the sum
    over its items): ENDED once over or cancelled, UPCOMING before, else ON or SOLD_OUT."""
    if cancelled or now >= ends_at:
        return ENDED
    if now < starts_at:
        return UPCOMING
    return ON if left > 0 else SOLD_OUT


@dataclass(frozen=True)
class Counters:
    """An item's admission counters (Redis's hash, or the database's row)."""

    starts_ms: int
    ends_ms: int
    left: int
    per_user_limit: int


def admit(counters: Counters | None, now_ms: int, had: int, quantity: int) -> str:
    """The admission rule (`TAKE_SCRIPT` is the same in Lua): the window first, then the
    buyer's limit, then a unit left."""
    if counters is None:
        return NOT_LOADED
    if now_ms < counters.starts_ms:
        return NOT_STARTED
    if now_ms >= counters.ends_ms:
        return OVER
    if had + quantity > counters.per_user_limit:
        return LIMIT
    if counters.left < quantity:
        return GONE
    return ADMITTED


def refusal(answer: str) -> DomainError:
    code, message = REFUSALS[answer]
    return DomainError(code, message, "flashItemId")


def to_ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


# KEYS[1]: the item's hash (left, starts, ends, limit); KEYS[2]: its buyers' hash (user -> units);
# KEYS[3]: its attempts counter (statistics; a reload keeps it). ARGV: now (ms), the user id,
# the quantity. One atomic step: a unit taken returns what is left.
TAKE_SCRIPT = """
redis.call('INCR', KEYS[3])
local v = redis.call('HMGET', KEYS[1], 'left', 'starts', 'ends', 'limit')
if not v[1] then return -1 end
local now = tonumber(ARGV[1])
local q = tonumber(ARGV[3])
if now < tonumber(v[2]) then return -2 end
if now >= tonumber(v[3]) then return -3 end
local had = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
if had + q > tonumber(v[4]) then return -4 end
local left = tonumber(v[1])
if left < q then return -5 end
redis.call('HINCRBY', KEYS[2], ARGV[2], q)
return redis.call('HINCRBY', KEYS[1], 'left', -q)
"""

# Give units back (a checkout that failed after admission, an unpaid order cancelled): only
# while the counters exist (a reload reads the database, which already has them back).
GIVE_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local q = tonumber(ARGV[2])
local had = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if had <= q then redis.call('HDEL', KEYS[2], ARGV[1]) else redis.call('HINCRBY', KEYS[2], ARGV[1], -q) end
return redis.call('HINCRBY', KEYS[1], 'left', q)
"""

# Load the counters from the database's truth: ARGV: left, starts, ends, limit, TTL (s), then
# user, units pairs. Replaces both hashes at once.
LOAD_SCRIPT = """
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'left', ARGV[1], 'starts', ARGV[2], 'ends', ARGV[3], 'limit', ARGV[4])
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return tonumber(ARGV[1])
"""
