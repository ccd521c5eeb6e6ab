"""Global object identification (the Relay convention).

Every entity type implements `Node`: its `id` is an opaque global id, base64 of
"TypeName:pk" (the form Strawberry's relay uses), and `node(id:)` refetches it. Ids that
refer to another entity are global ids of that entity's type too, and every ID argument
accepts only global ids of the type it expects (resolvers.common.parse_id).

Encoding is on the hot paths (catalogue and order lists, queue subscriptions): each type's
codec keeps the ids it made in a bounded dict, and the `id` fields are plain synchronous
resolvers, which the executor's fast paths read like attributes.
"""

from __future__ import annotations

import binascii
from base64 import b64decode, b64encode
from collections.abc import Callable
from operator import attrgetter
from typing import Any

import strawberry
from graphql import GraphQLObjectType

_CACHE_SIZE = 8192
_MAX_PK = 2**63 - 1


class Codec:
    """Global ids of one type: encode(pk) -> id, with the ids already made cached."""

    __slots__ = ("type_name", "_cache")

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        self._cache: dict[Any, str] = {}

    def encode(self, pk: Any) -> str:
        found = self._cache.get(pk)
        if found is None:
            found = b64encode(f"{self.type_name}:{pk}".encode()).decode("ascii")
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[pk] = found
        return found


_codecs: dict[str, Codec] = {}


def codec(type_name: str) -> Codec:
    found = _codecs.get(type_name)
    if found is None:
        found = _codecs[type_name] = Codec(type_name)
    return found


def encode(type_name: str, pk: Any) -> str:
    return codec(type_name).encode(pk)


def node_type_names() -> frozenset[str]:
    """The types that have global ids (registered by their `id` fields)."""
    return frozenset(_codecs)


def decode(value: Any) -> tuple[str, int] | None:
    """(type name, pk) of a well-formed global id, else None. Only the canonical form is
    accepted (what `encode` makes), so one object has exactly one id."""
    if not isinstance(value, str) or not value or len(value) > 200:
        return None
    try:
        raw = b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, key = raw.partition(":")
    if not sep or not key.isdigit() or not key.isascii() or type_name not in _codecs:
        return None
    pk = int(key)
    if pk <= 0 or pk > _MAX_PK or encode(type_name, pk) != value:
        return None
    return type_name, pk


@strawberry.interface(description="An object with a global id; `node(id:)` fetches it again.")
class Node:
    id: strawberry.ID = strawberry.field(description="Global id: opaque, encodes the type and key. Pass it back as is.")


_ID_DESCRIPTION = "Global id: opaque, encodes the type and key. Pass it back as is."


def node_id(type_name: str, attr: str = "id", description: str = _ID_DESCRIPTION) -> Any:
    """The `id` field of a Node type: the global id of the source's `attr`."""
    encode_pk, read = codec(type_name).encode, attrgetter(attr)

    def resolve_id(self) -> strawberry.ID:
        return encode_pk(read(self))

    return strawberry.field(resolver=resolve_id, description=description)


def ref(type_name: str) -> Callable[[Any], str | None]:
    """pk -> global id of `type_name` (None stays None): for fields that refer to another entity."""
    encode_pk = codec(type_name).encode

    def encode_ref(pk: Any) -> str | None:
        return None if pk is None else encode_pk(pk)

    return encode_ref


def install(schema: strawberry.Schema) -> dict[str, type]:
    """Once per schema: the Node types by name. Their rows are resolved straight from Tortoise
    models, so the `isinstance` check Strawberry gives an interface's implementations would
    refuse them: it is dropped (the `node` fields cast what they return, which is how the
    interface picks the type)."""
    node_types: dict[str, type] = {}
    for name, type_ in schema._schema.type_map.items():
        if isinstance(type_, GraphQLObjectType) and any(i.name == "Node" for i in type_.interfaces):
            type_.is_type_of = None
            definition = schema.get_type_by_name(name)
            node_types[name] = definition.origin
    return node_types
