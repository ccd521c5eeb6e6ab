"""Factories and a GraphQL client for tests (loaded as a pytest plugin)."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from app import create_app
from models.accounts import User
from services.accounts import access, auth, identity, referral, sms
from services.core import events

PHONE_SEQ = iter(range(10_000_000))


def next_phone() -> str:
    return f"+86139{next(PHONE_SEQ):08d}"


class Api:
    """Posts GraphQL to the app in-process, optionally with a bearer token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def raw(
        self, query: str, variables: dict | None = None, token: str | None = None, headers: dict | None = None
    ) -> dict:
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        response = await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=hdrs)
        return response.json()

    async def __call__(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        """Returns `data`, failing the test on any GraphQL error."""
        body = await self.raw(query, variables, token)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def error_code(self, query: str, variables: dict | None = None, token: str | None = None) -> str:
        body = await self.raw(query, variables, token)
        assert body.get("errors"), f"expected an error, got {body}"
        return body["errors"][0]["extensions"]["code"]


@pytest_asyncio.fixture(loop_scope="session")
async def app():
    return create_app(debug=False, manage_database=False)


@pytest_asyncio.fixture(loop_scope="session")
async def api(app):
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client)


async def make_user(
    nickname: str = "tester", *, phone: str | None = None, roles: tuple[str, ...] = (), upline: User | None = None
) -> User:
    user = await referral.create_user(phone=phone or next_phone(), nickname=nickname)
    for role in roles:
        await access.grant_role(user.id, role)
    if upline is not None:
        user = await referral.bind_upline(user, upline.invite_code, source="SIGNUP")
    return user


_ID_SERIAL = itertools.count()


def resident_id() -> str:
    """A distinct valid resident ID number per call (one identity per person): a born-on date
    and a 3-digit sequence taken from a counter, and the mod 11-2 check character."""
    n = next(_ID_SERIAL)
    first17 = f"110101{date(1980, 1, 1) + timedelta(days=n // 1000):%Y%m%d}{n % 1000:03d}"
    return first17 + identity.id_check_character(first17)


async def verify_identity(user: User, real_name: str = "张三") -> str:
    """Submit the user's real-name identity (withdrawals need it); returns the ID number."""
    number = resident_id()
    await identity.submit_identity(user.id, real_name, number)
    return number


async def token_for(user: User) -> str:
    signed = await auth.start_session(user, "SMS", auth.ClientInfo(), False)
    return signed.access_token


def outbox() -> sms.MemorySmsSender:
    sender = sms.get_sender()
    assert isinstance(sender, sms.MemorySmsSender)
    return sender


def data_or_errors(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload.get("errors") or []]


@pytest.fixture
def published():
    """The live events published during a test, as (channel, payload), instead of the broadcast."""
    sent: list[tuple[str, dict]] = []

    async def capture(channel: str, message: str) -> None:
        sent.append((channel, json.loads(message)))

    previous = events._publisher
    events.set_publisher(capture)
    yield sent
    events.set_publisher(previous)


# Global ids (schema/node.py): the GraphQL type of a model's rows where the names differ.
_NODE_TYPE_OF_MODEL = {
    "MerchantStaff": "MerchantStaffMember",
    "StoreStaff": "StoreStaffMember",
    "RiskAudit": "RiskAuditEntry",
    "JournalEntry": "StatementLine",
}


def gid(obj_or_type: Any, pk: Any = None) -> str:
    """The global id of a model instance (its type named after its model), or of (type name, pk):
    gid(order), gid(user)."""
    from schema.node import encode

    if isinstance(obj_or_type, str):
        return encode(obj_or_type, int(pk))
    name = type(obj_or_type).__name__
    return encode(_NODE_TYPE_OF_MODEL.get(name, name), obj_or_type.pk)


def pk_of(global_id: str) -> int:
    """The database key in a global id (for tests that read the row behind an API result)."""
    from schema.node import decode

    decoded = decode(global_id)
    assert decoded is not None, f"not a global id: {global_id!r}"
    return decoded[1]


def at(field: str | None) -> list[str] | None:
    """UserError.field as the API returns it, from "skus.0.code" (None: no field)."""
    return field.split(".") if field else None
