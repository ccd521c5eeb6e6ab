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

from collections.abc import Callable
from operator import attrgetter
from typing import Any

import strawberry
from graphql import GraphQLObjectType

from services.core.global_ids import Codec, codec, decode, encode, node_type_names

__all__ = ["Codec", "Node", "codec", "decode", "encode", "install", "node_id", "node_type_names", "ref"]


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
