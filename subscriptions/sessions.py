"""Session checks for long-lived subscriptions that must not query per event."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any
from weakref import WeakKeyDictionary

from strawberry.dataloader import DataLoader
from strawberry.types.execution import ExecutionResult, PreExecutionError

from schema.errors import ApiError
from services.accounts import access, auth
from services.accounts.events import SessionsRevoked
from services.core import clock
from services.core.errors import ErrorCode

SESSION_CHECK_SECONDS = 30.0  # a signed-out session is noticed within this, without a query per event
PERMISSION_CHECK_SECONDS = 30.0


_session_checks: WeakKeyDictionary[asyncio.AbstractEventLoop, DataLoader] = WeakKeyDictionary()


def _session_is_live(session_id: uuid.UUID | None) -> asyncio.Future[bool]:
    """Checks falling due together share one query. At the first sale after a quiet spell
    every subscriber of that queue is due at once: a query each would line thousands up
    behind the connection pool and hold back that sale's updates for all of them."""
    loop = asyncio.get_running_loop()
    loader = _session_checks.get(loop)
    if loader is None:
        loader = _session_checks[loop] = DataLoader(auth.live_sessions, cache=False, max_batch_size=500)
    return loader.load(session_id)


class SessionGuard:
    """Checks the session every SESSION_CHECK_SECONDS without holding up the events: a check
    is started at an event and its answer read at a later one. Awaiting it on the spot would
    stop this subscriber reading its queue for as long as the query takes to come back, which
    on a busy server (thousands of subscribers waking per sale) is seconds: long enough to
    overflow the queue and drop the subscriber as too slow."""

    def __init__(self, session_id: uuid.UUID | None) -> None:
        self.session_id, self.checked = session_id, time.monotonic()
        self.pending: asyncio.Future[bool] | None = None

    async def check(self) -> None:
        if self.pending is not None and self.pending.done():
            live, self.pending = self.pending.result(), None
            if not live:
                raise ApiError(ErrorCode.TOKEN_REVOKED, "This session was signed out.")
        if self.pending is None and time.monotonic() - self.checked >= SESSION_CHECK_SECONDS:
            self.checked = time.monotonic()
            self.pending = _session_is_live(self.session_id)


class OwnSession:
    """For streams on the viewer's own channel (`user:{id}`): a sign-out of this session, or of
    all the user's sessions, arrives there as a SessionsRevoked event and ends the stream at
    once with TOKEN_REVOKED; a revocation that came no other way is caught by the SessionGuard
    every SESSION_CHECK_SECONDS. No query per event."""

    def __init__(self, session_id: uuid.UUID | None) -> None:
        self.session_id = None if session_id is None else str(session_id)
        self.guard = SessionGuard(session_id)

    async def passes(self, event: Any) -> bool:
        """False for the revocation notice of another session (not for the stream to show)."""
        if isinstance(event, SessionsRevoked):
            if not event.session_id or event.session_id == self.session_id:
                raise ApiError(ErrorCode.TOKEN_REVOKED, "This session was signed out.")
            return False
        await self.guard.check()
        return True


class StaffGrants:
    """A staff member's grants for a merchant's live feed, re-read at most every
    PERMISSION_CHECK_SECONDS (with the session): withdrawn rights end their events within that,
    with one query per subscriber per interval instead of one per event."""

    def __init__(self, user_id: int, session_id: uuid.UUID | None, grants: access.Grants) -> None:
        self.user_id, self.grants = user_id, grants
        self.guard = SessionGuard(session_id)
        self.loaded = time.monotonic()

    async def current(self) -> access.Grants:
        await self.guard.check()
        if time.monotonic() - self.loaded >= PERMISSION_CHECK_SECONDS:
            self.loaded = time.monotonic()
            self.grants = await access.load_grants(self.user_id)
        return self.grants


class AdminGuard:
    """For admin live views: re-checks the session and that the user still holds one of
    `permissions` at most every PERMISSION_CHECK_SECONDS (admins are few; the check is
    awaited, so a revoked session or role ends the subscription at its next event)."""

    def __init__(self, user_id: int, session_id: uuid.UUID | None, *permissions: str) -> None:
        self.user_id, self.session_id, self.permissions = user_id, session_id, permissions
        self.checked = time.monotonic()

    async def check(self) -> None:
        if time.monotonic() - self.checked < PERMISSION_CHECK_SECONDS:
            return
        self.checked = time.monotonic()
        if not await auth.session_is_live(self.session_id):
            raise ApiError(ErrorCode.TOKEN_REVOKED, "This session was signed out.")
        grants = await access.load_grants(self.user_id)
        if not any(grants.has(p) for p in self.permissions):
            raise ApiError(ErrorCode.FORBIDDEN, f"This needs the {' or '.join(self.permissions)} permission.")


def _token_expired() -> ApiError:
    return ApiError(ErrorCode.TOKEN_EXPIRED, "The access token has expired: refresh it and subscribe again.")


def _seconds_left(context: Any) -> float | None:
    expires = getattr(context, "token_expires_at", None)
    return None if expires is None else (expires - clock.now()).total_seconds()


def until_token_expires(context: Any, source: Any) -> Any:
    """An operation on a WebSocket lives no longer than the access token the socket signed in
    with: refused at the start with TOKEN_EXPIRED once it has expired, and ended with a
    TOKEN_EXPIRED error when it expires (a timer; nothing is checked per event)."""
    left = _seconds_left(context)
    if left is None:
        return source
    return _until_expiry(context, source, left)


async def _until_expiry(context: Any, source: Any, left: float) -> AsyncIterator[Any]:
    async with aclosing(source):
        if left <= 0:
            yield PreExecutionError(data=None, errors=[_token_expired()])
            return
        task = asyncio.current_task()
        state = {"waiting": False, "expired": False}

        def expire() -> None:
            state["expired"] = True
            if state["waiting"]:  # only while suspended in the source: never mid-send
                task.cancel()

        timer = asyncio.get_running_loop().call_later(left, expire)
        try:
            while not state["expired"]:
                state["waiting"] = True
                try:
                    result = await anext(source)
                except StopAsyncIteration:
                    return
                except asyncio.CancelledError:
                    if not state["expired"]:
                        raise
                    task.uncancel()
                    break
                finally:
                    state["waiting"] = False
                yield result
            yield ExecutionResult(data=None, errors=[_token_expired()])
        finally:
            timer.cancel()
