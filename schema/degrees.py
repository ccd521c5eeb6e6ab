"""The coordinates scalar (WGS-84 degrees), for stores (MER-2) and addresses (STO-5)."""

from __future__ import annotations

from typing import NewType

import strawberry


def _parse_degrees(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("Degrees are a JSON number.")
    return float(value)  # range and finiteness are checked by the service (INVALID_COORDINATES)


# Annotate fields and arguments with `Degrees`; the schema maps it to its GraphQL scalar
# through `StrawberryConfig(scalar_map=SCALAR_MAP)` (schema/schema.py).
Degrees = NewType("Degrees", float)

DEGREES_SCALAR = strawberry.scalar(
    name="Degrees",
    description="WGS-84 decimal degrees as a JSON number: latitude -90..90, longitude -180..180.",
    serialize=float,
    parse_value=_parse_degrees,
)

SCALAR_MAP = {Degrees: DEGREES_SCALAR}
