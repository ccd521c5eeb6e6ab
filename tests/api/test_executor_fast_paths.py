"""The executor's fast paths (schema/schema.py `install_fast_paths`) give exactly what plain
Strawberry/graphql-core gives: data, error messages, paths and locations, on a synthetic
schema covering resolver errors, nulls in non-null fields, returned exceptions, async and
future values, permission extensions, conversion errors, interfaces, fragments, directives.
They override graphql-core internals: this test is what an upgrade of either must pass."""

from __future__ import annotations

import asyncio
import json
from enum import Enum

import pytest
import strawberry
from strawberry.extensions import MaskErrors
from strawberry.permission import PermissionExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info

from schema.permissions import IsAuthenticated
from schema.schema import ExecutionContext, install_fast_paths, should_mask


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


def build(fast):
    s = strawberry.Schema(
        query=Query,
        types=[Thing],
        execution_context_class=ExecutionContext if fast else StrawberryGraphQLCoreExecutionContext,
        extensions=[lambda: MaskErrors(should_mask_error=should_mask)],
    )
    if fast:
        install_fast_paths(s)
    return s


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
