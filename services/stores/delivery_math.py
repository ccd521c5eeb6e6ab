"""Store delivery arithmetic (STO-5): pure functions over a rule, no database.

The distance is the great-circle distance from the store's coordinates
(services.core.geo.haversine_m, metres). An address is deliverable when that distance is at
most the rule's radius. The fee is `base_fee + per_km_fee x started kilometres` (a 1.2 km
trip pays two kilometres); the goods reaching `free_over` (> 0) deliver free, as the shipping
template's free threshold does (the pricing pipeline applies it, shipping coupons included).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.core import geo


@dataclass(frozen=True)
class DeliveryRule:
    radius_m: int
    base_fee: int = 0
    per_km_fee: int = 0
    free_over: int = 0  # goods at or above this deliver free; 0: never free
    min_order: int = 0  # goods below this are not delivered


def distance_m(store_lat: float, store_lng: float, lat: float, lng: float) -> float:
    return geo.haversine_m(store_lat, store_lng, lat, lng)


def within(rule: DeliveryRule, distance: float) -> bool:
    return distance <= rule.radius_m


def started_km(distance: float) -> int:
    """Kilometres begun: 0 m -> 0, 1 m .. 1000 m -> 1, 1001 m -> 2."""
    whole = int(distance // 1000)
    return whole + (1 if distance - whole * 1000 > 0 else 0)


def trip_fee(rule: DeliveryRule, distance: float) -> int:
    """The fee before the free-over rule."""
    return rule.base_fee + rule.per_km_fee * started_km(distance)


def fee(rule: DeliveryRule, distance: float, goods: int) -> int:
    """What the buyer pays for the delivery of `goods` fen of goods."""
    if rule.free_over > 0 and goods >= rule.free_over:
        return 0
    return trip_fee(rule, distance)
