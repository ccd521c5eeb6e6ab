"""Enum value descriptions for enums whose values cannot be strawberry.enum_value: Python enums
defined in services/ (which never import strawberry) and str-mixin enums (whose values must
stay plain strings)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

E = TypeVar("E", bound=type[Enum])


def describe_values(wrapped: E, values: Mapping[Enum | str, str]) -> E:
    """Sets the value descriptions of an enum already wrapped by strawberry.enum; `values` is
    keyed by member or member name and must cover exactly its members."""
    by_name = {getattr(key, "name", key): text for key, text in values.items()}
    names = {member.name for member in wrapped}
    if set(by_name) != names:
        raise ValueError(f"{wrapped.__name__}: describe exactly its members, not {set(by_name) ^ names}")
    for value in wrapped.__strawberry_definition__.values:
        value.description = by_name[value.name]
    return wrapped


def described_enum(cls: E, description: str, values: Mapping[Enum | str, str], name: str | None = None) -> E:
    """strawberry.enum(cls) with a description for each value."""
    return describe_values(strawberry.enum(cls, name=name, description=description), values)
