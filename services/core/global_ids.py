"""Global ids of the GraphQL API: base64 of "TypeName:pk" (the form Strawberry's relay uses).

Pure functions, so that what prints ids for people (the demo data) can make them too; the
schema's Node interface (schema/node.py) registers the types that have them.
"""

from __future__ import annotations

import binascii
from base64 import b64decode, b64encode
from typing import Any

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
