"""A malformed-input corpus generated from the schema: every argument of every root Query and
Mutation field (and every field of the input objects they take) gets a malformed value, the
others plausible ones, as an anonymous user, a buyer and an admin, with the demo data loaded
(so that ids exist). Every error must carry `extensions.code`, none may be "Unexpected
error.", no response may be an HTTP 500, and the database must not change.

Bounded to stay fast: one malformed kind per argument (the kinds of a type taken in turn, so
that each is used across the schema), optional arguments left out unless they are the one
malformed.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    Undefined,
    get_named_type,
    is_leaf_type,
)
from tortoise import Tortoise
from tortoise.fields import IntField

from models.accounts import User
from schema.schema import schema
from services.core.sensitive import blind_index
from services.demo import seed as demo
from tests.helpers import token_for

LONG = "x" * 100_000
BAD_IDS = ["abc", "0", "-1", "9" * 30, "", "Tm9wZTox"]  # the last: base64 of "Nope:1", a type that is none
BAD_DATES = ["0001-01-01", "9999-12-31", "2026-13-45"]
BAD_AMOUNTS = ["1.001", "1e3", "99999999999999999999", "NaN"]
BAD_INTS = [2**31, -(2**31), -1, 0]
# Values that are malformed for a query's filter but a valid setting for many mutations (a
# purchase limit of 0: none; no spec dimensions): mutations get the other kinds only.
VALID_IN_MUTATIONS = (0, "empty")
# Accepted on purpose: a long free-text reason is cut to its column's 256 characters; a
# category's sort order may be negative (first).
ACCEPTED = {("unbindUpline", "reason"), ("reorderCategory", "sortOrder")}
PLAUSIBLE = {
    "ID": "1",
    "String": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "Date": "2024-01-01",
    "Amount": "1.00",
    "DateTime": "2024-01-01T00:00:00+00:00",
    "Degrees": 30.0,
    "JSON": {},
}
BAD_SCALARS = {"ID": BAD_IDS, "Amount": BAD_AMOUNTS, "Date": BAD_DATES, "DateTime": ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"],
               "Int": BAD_INTS, "String": [LONG], "Float": [1e308, -1e308], "Degrees": [1e308, -1000.0]}  # fmt: skip


def plausible(type_: Any, depth: int = 0) -> Any:
    if isinstance(type_, GraphQLNonNull):
        return plausible(type_.of_type, depth)
    if isinstance(type_, GraphQLList):
        return [plausible(type_.of_type, depth)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {name: plausible(field.type, depth + 1) for name, field in type_.fields.items() if _required(field)}
    return PLAUSIBLE[type_.name]


def _required(field: GraphQLInputField | GraphQLArgument) -> bool:
    return isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined


_turns: dict[tuple[str, bool], Iterator[Any]] = {}
_mutation = [False]


def _next_bad(kind: str, choices: list[Any]) -> Any:
    """The kinds of a type in turn across the schema (one per argument)."""
    key = (kind, _mutation[0])
    if key not in _turns:
        usable = [c for c in choices if not (_mutation[0] and c in VALID_IN_MUTATIONS and c is not False)]
        _turns[key] = itertools.cycle(usable)
    return next(_turns[key])


def malformed(type_: Any) -> Iterator[tuple[str, Any]]:
    """(where, value): one malformed value for this type, or one per field of an input object."""
    nullable = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(nullable, GraphQLList):
        kind = _next_bad("list", ["empty", "huge", "item"])
        if kind == "empty":
            yield "[]", []
        elif kind == "huge":
            yield "[×1000]", [plausible(nullable.of_type)] * 1000
        else:
            for where, value in malformed(nullable.of_type):
                yield f"[{where}]", [value]
        return
    if isinstance(nullable, GraphQLEnumType):
        yield "enum", "NOT_A_VALUE"
        return
    if isinstance(nullable, GraphQLInputObjectType):
        base = plausible(nullable)
        for name, field in nullable.fields.items():
            for where, value in malformed(field.type):
                yield f"{name}.{where}", {**base, name: value}
        return
    choices = BAD_SCALARS.get(nullable.name)
    if choices:
        value = _next_bad(nullable.name, choices)
        yield repr(value)[:20], value


@dataclass(frozen=True)
class Case:
    operation: str
    field: str
    where: str
    document: str
    variables: dict


def _selection(field: GraphQLField) -> str:
    named = get_named_type(field.type)
    if is_leaf_type(named):
        return ""
    return " { errors { code } }" if "errors" in getattr(named, "fields", {}) else " { __typename }"


def cases() -> list[Case]:
    _turns.clear()  # the same corpus on every call
    out = []
    gql = schema._schema
    for operation, root in (("query", gql.query_type), ("mutation", gql.mutation_type)):
        _mutation[0] = operation == "mutation"
        for name, field in root.fields.items():
            if not field.args:
                continue
            declared = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
            passed = ", ".join(f"{a}: ${a}" for a in field.args)
            document = f"{operation} Case({declared}) {{ {name}({passed}){_selection(field)} }}"
            base = {a: plausible(arg.type) for a, arg in field.args.items() if _required(arg)}
            for arg_name, arg in field.args.items():
                if (name, arg_name) in ACCEPTED:
                    continue
                for where, value in malformed(arg.type):
                    out.append(Case(operation, name, f"{arg_name}.{where}", document, {**base, arg_name: value}))
    return out


async def fingerprint() -> dict[str, int]:
    """Row count of every model, plus the sum of every balance and stock column."""
    out: dict[str, int] = {}
    for app in Tortoise.apps.values():
        for model in app.values():
            out[model.__name__] = await model.all().count()
            for column, field in model._meta.fields_map.items():
                if isinstance(field, IntField) and ("balance" in column or "stock" in column):
                    total = sum(v or 0 for v in await model.all().values_list(column, flat=True))
                    out[f"{model.__name__}.{column}"] = total
    return out


def problems(case: Case, role: str, status: int, body: dict) -> list[str]:
    found = []
    if status >= 500:
        found.append(f"HTTP {status}")
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if not code or error.get("message") == "Unexpected error.":
            found.append(f"{error.get('message')!r} (code {code})")
    data = body.get("data") or {}
    payload = data.get(case.field) if isinstance(data, dict) else None
    if case.operation == "mutation" and not body.get("errors") and not (payload or {}).get("errors"):
        found.append("a malformed value was accepted")
    return [f"{role} {case.operation} {case.field}({case.where}): {p}" for p in found]


async def test_malformed_inputs_get_coded_errors_and_change_nothing(api):
    await demo.seed()
    admin = await User.get(phone_hash=blind_index(demo.DEMO_ADMIN_PHONE))
    buyer = await User.get(phone_hash=blind_index(demo.DEMO_CUSTOMER_PHONE))
    roles = {"anonymous": None, "buyer": await token_for(buyer), "admin": await token_for(admin)}
    before = await fingerprint()
    all_cases = cases()
    assert len(all_cases) > 300
    found: list[str] = []
    for role, token in roles.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for case in all_cases:
            response = await api.client.post(
                "/graphql", content=json.dumps({"query": case.document, "variables": case.variables}),
                headers={"content-type": "application/json", **headers},
            )  # fmt: skip
            body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
            found += problems(case, role, response.status_code, body)
    after = await fingerprint()
    changed = {k: (before.get(k), after.get(k)) for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert found == [], "\n".join(found)
    assert changed == {}
