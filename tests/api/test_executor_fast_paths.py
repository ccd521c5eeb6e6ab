"""The executor's fast paths (schema/fast_paths/executor.py) give exactly what plain
Strawberry/graphql-core gives: data, error messages, paths and locations, on a synthetic
schema covering resolver errors, nulls in non-null fields, returned exceptions, async and
future values, permission extensions, conversion errors, interfaces, fragments, directives.
They override graphql-core internals: this test is what an upgrade of either must pass, and
it fails when the fast paths are not in use (counting graphql-core's per-field work)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import AsyncGenerator
from enum import Enum

import pytest
import strawberry
from graphql.execution import Executor
from strawberry.extensions import MaskErrors
from strawberry.permission import PermissionExtension
from strawberry.types import Info

import settings
from schema import fast_paths
from schema.permissions import IsAuthenticated
from schema.schema import build_schema, should_mask
from schema.schema import schema as served_schema


@strawberry.enum
class Color(Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Money:
    amount: str
    currency: str


class Boom(Exception):
    pass


@strawberry.type
class Item:
    id: strawberry.ID
    name: str
    count: int
    ratio: float
    flag: bool
    color: Color
    maybe: str | None
    bad_int: int  # value set to something invalid sometimes
    required_but_none: str  # value None -> error
    big: int

    @strawberry.field
    def price(self) -> Money:
        return Money(amount=f"{self.count}.00", currency="CNY")

    @strawberry.field
    def nullable_price(self) -> Money | None:
        return None if self.count % 2 else Money(amount="1.00", currency="X")

    @strawberry.field
    def failing(self) -> Money | None:
        raise Boom("failing resolver")

    @strawberry.field
    def failing_nonnull(self) -> Money:
        raise Boom("failing non-null resolver")

    @strawberry.field
    def none_nonnull(self) -> Money:
        return None

    @strawberry.field
    def returns_exception(self) -> Money | None:
        return Boom("returned exception")

    @strawberry.field
    def with_info(self, info: Info) -> str:
        return f"{info.field_name}:{info.path.key}:{self.id}"

    @strawberry.field
    def obj_with_info(self, info: Info) -> Money:
        return Money(amount=info.field_name, currency=str(info.path.as_list()))

    @strawberry.field
    async def async_money(self) -> Money:
        await asyncio.sleep(0)
        return Money(amount="9.99", currency="A")

    @strawberry.field
    def future_money(self) -> Money:
        fut = asyncio.get_event_loop().create_future()
        fut.set_result(Money(amount="7.00", currency="F"))
        return fut

    @strawberry.field
    def future_fail(self) -> Money | None:
        fut = asyncio.get_event_loop().create_future()
        fut.set_exception(Boom("future failed"))
        return fut

    @strawberry.field(extensions=[PermissionExtension(permissions=[IsAuthenticated()], use_directives=False)])
    def secret(self) -> str:
        return "s"

    @strawberry.field
    def with_arg(self, x: int = 1) -> int:
        return x * 2

    @strawberry.field
    def children(self) -> list[Money]:
        return [Money(amount=str(i), currency="C") for i in range(2)]

    @strawberry.field
    def nested(self) -> Item:
        return self


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class Thing(Node):
    label: str


@strawberry.type
class Holder:
    inner: Money
    thing: Thing
    maybe_inner: Money | None = None


def make_items():
    out = []
    for i in range(4):
        it = Item(
            id=strawberry.ID(str(i)) if i % 2 else i,
            name=f"n{i}",
            count=i,
            ratio=i / 3,
            flag=bool(i % 2),
            color=Color.RED,
            maybe=None if i % 2 else "m",
            bad_int=i,
            required_but_none="x",
            big=i,
        )
        out.append(it)
    out[1].bad_int = "nope"
    out[2].required_but_none = None
    out[3].big = 2**40
    out[3].name = 123  # int for String
    out[2].count = True  # bool for Int
    out[0].flag = 0  # int for Boolean
    return out


class Ctx:
    viewer = None
    auth_error = None


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return make_items()

    @strawberry.field
    def item(self) -> Item:
        return make_items()[0]

    @strawberry.field
    def holder(self) -> Holder:
        return Holder(inner=Money(amount="1", currency="H"), thing=Thing(id=strawberry.ID("t"), label="L"))

    @strawberry.field
    def node(self) -> Node:
        return Thing(id=strawberry.ID("n1"), label="node")


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def items(self) -> AsyncGenerator[Item, None]:
        for item in make_items():
            yield item


def build(fast):
    return fast_paths.schema(
        enabled=fast,
        query=Query,
        subscription=Subscription,
        types=[Thing],
        extensions=[lambda: MaskErrors(should_mask_error=should_mask)],
    )


QUERIES = [
    "{ items { id name count ratio flag color maybe } }",
    "{ items { id price { amount currency } nullablePrice { amount } } }",
    "{ items { id failing { amount } } }",
    "{ items { id failingNonnull { amount } } }",
    "{ items { id noneNonnull { amount } } }",
    "{ item { id noneNonnull { amount } } }",
    "{ items { id returnsException { amount } } }",
    "{ items { withInfo objWithInfo { amount currency } } }",
    "{ items { asyncMoney { amount } futureMoney { amount currency } futureFail { amount } } }",
    "{ items { secret } }",
    "{ items { id withArg(x: 3) a: withArg } }",
    "{ items { badInt } }",
    "{ items { requiredButNone } }",
    "{ items { big } }",
    "{ items { name count flag } }",
    "{ items { children { amount } nested { id nested { name price { amount } } } } }",
    "{ holder { inner { amount } thing { id label __typename } maybeInner { amount } } node { id __typename ... on Thing { label } } }",
    "{ items { ...F } } fragment F on Item { id p: price { a: amount amount } }",
    "{ items { id @skip(if: true) name @include(if: false) count } }",
    "{ item { id, price { amount } ... @defer { count } } }",
]


FAST, PLAIN = build(True), build(False)


def _outcome(result) -> str:
    errors = [(e.message, e.path, e.locations) for e in (result.errors or [])]
    return json.dumps((result.data, errors), default=str)


@pytest.mark.parametrize("query", QUERIES)
async def test_fast_paths_answer_like_plain_graphql_core(query):
    assert _outcome(await FAST.execute(query, context_value=Ctx())) == _outcome(
        await PLAIN.execute(query, context_value=Ctx())
    )


# 22 fields: the 4 items, each with id, price { amount currency } and nullablePrice (one
# non-null, with its amount).
KNOWN = "{ items { id price { amount currency } nullablePrice { amount } } }"
PLAIN_CALLS = {"execute_field": 22, "complete_object_value": 9}


@pytest.fixture
def graphql_core_calls(monkeypatch):
    """Calls of graphql-core's per-field execution and object completion: the work the fast
    paths do without (whatever the executor class)."""
    calls = Counter()
    for name in ("execute_field", "complete_object_value"):
        original = getattr(Executor, name)

        def counting(self, *args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Executor, name, counting)
    return calls


async def test_the_fast_paths_are_in_use(graphql_core_calls):
    """Leaf and object plans, lean resolvers and object completion: of the 22 fields,
    graphql-core executes only the root list, and completes none of the 9 objects."""
    if not settings.FAST_PATHS:
        pytest.skip("FAST_PATHS=false: this run is of the normal paths")
    assert fast_paths.active(served_schema) and fast_paths.active(FAST) and not fast_paths.active(PLAIN)
    fast = await FAST.execute(KNOWN, context_value=Ctx())
    assert dict(graphql_core_calls) == {"execute_field": 1}
    graphql_core_calls.clear()
    assert _outcome(await PLAIN.execute(KNOWN, context_value=Ctx())) == _outcome(fast)
    assert dict(graphql_core_calls) == PLAIN_CALLS


@pytest.mark.parametrize("constant", ["GRAPHQL_CORE_VERSION", "STRAWBERRY_VERSION"])
async def test_other_library_versions_turn_the_fast_paths_off_with_one_warning(
    monkeypatch, caplog, graphql_core_calls, constant
):
    monkeypatch.setattr(fast_paths, constant, "0.0.1")
    with caplog.at_level(logging.WARNING):
        off = build(True)
    [warning] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    message = warning.getMessage()
    for version in ("graphql-core 3.3.2", "strawberry-graphql 0.341.2", "0.0.1"):
        assert version in message
    assert "fast subscriptions" in message and "field plans" in message
    assert not fast_paths.active(off)
    for query in QUERIES:
        assert _outcome(await off.execute(query, context_value=Ctx())) == _outcome(
            await FAST.execute(query, context_value=Ctx())
        )
    graphql_core_calls.clear()
    await off.execute(KNOWN, context_value=Ctx())
    assert dict(graphql_core_calls) == PLAIN_CALLS


def test_fast_paths_can_be_turned_off(caplog):
    with caplog.at_level(logging.WARNING):
        assert not fast_paths.active(build(False))
        assert not fast_paths.active(build_schema(fast_paths_enabled=False))
    assert not caplog.records


async def test_each_subscription_event_has_its_own_memo_of_subfields(monkeypatch):
    """graphql-core's per-event copies of a subscription's executor share its memo of
    sub-fields, which then grows for the subscription's whole life; each gets its own."""
    executors = []
    original = Executor.build_per_event_executor

    def recording(self, payload):
        executors.append((self, event := original(self, payload)))
        return event

    monkeypatch.setattr(Executor, "build_per_event_executor", recording)
    stream = await FAST.subscribe("subscription { items { id price { amount } } }")
    results = [result async for result in stream]
    assert [result.errors for result in results] == [None] * 4 and len(executors) == 4
    for subscription, event in executors:
        assert event._relevant_sub_fields and not subscription._relevant_sub_fields
