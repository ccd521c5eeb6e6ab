"""Great-circle distances and the bounding box that prefilters a radius search (MER-2).

Pure functions over floats: no database, unit-tested in tests/unit/test_geo.py.

A radius search is two steps: `bounding_box()` gives latitude and longitude ranges that
surely contain every point within the radius (so the (latitude, longitude) index can skip
everything else), then `haversine_m()` decides exactly. The box follows J. P. Matuschek,
"Finding Points Within a Distance of a Latitude/Longitude Using Bounding Coordinates":
near a pole the circle covers every longitude; across the antimeridian the longitude range
wraps into two ranges.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

# Mean Earth radius (IUGG), metres. The same value for the box and the exact distance.
EARTH_RADIUS_M = 6_371_008.8
# Widen the box by this much (relative) so float rounding never drops a point on the edge.
_MARGIN = 1e-9

T = TypeVar("T")


def valid_coordinates(latitude: float, longitude: float) -> bool:
    """Finite WGS-84 degrees: latitude in [-90, 90], longitude in [-180, 180] (real numbers only)."""
    for value in (latitude, longitude):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return False
    return -90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class BoundingBox:
    """Latitude range, and one or two longitude ranges (two when crossing the antimeridian).

    A point is inside when min_lat <= lat <= max_lat and, for one of the ranges,
    low <= lng <= high.
    """

    min_lat: float
    max_lat: float
    lng_ranges: tuple[tuple[float, float], ...]

    def contains(self, latitude: float, longitude: float) -> bool:
        if not self.min_lat <= latitude <= self.max_lat:
            return False
        return any(low <= longitude <= high for low, high in self.lng_ranges)

    @property
    def full_longitude(self) -> bool:
        return self.lng_ranges == ((-180.0, 180.0),)


def bounding_box(latitude: float, longitude: float, radius_m: float) -> BoundingBox:
    """The smallest latitude/longitude box containing the circle of `radius_m` metres
    around the point (a superset: callers filter exactly with `haversine_m`)."""
    if radius_m < 0:
        raise ValueError("radius must not be negative")
    angular = radius_m / EARTH_RADIUS_M * (1 + _MARGIN) + 1e-12  # radians
    lat = math.radians(latitude)
    min_lat, max_lat = lat - angular, lat + angular
    if angular >= math.pi or max_lat >= math.pi / 2 or min_lat <= -math.pi / 2:
        # The circle reaches a pole: every longitude is inside it there.
        return BoundingBox(max(math.degrees(min_lat), -90.0), min(math.degrees(max_lat), 90.0), ((-180.0, 180.0),))
    ratio = math.sin(angular) / math.cos(lat)
    if ratio >= 1.0:  # only possible next to a pole; be safe anyway
        return BoundingBox(math.degrees(min_lat), math.degrees(max_lat), ((-180.0, 180.0),))
    delta = math.degrees(math.asin(ratio))
    if delta >= 180.0:
        return BoundingBox(math.degrees(min_lat), math.degrees(max_lat), ((-180.0, 180.0),))
    low, high = longitude - delta, longitude + delta
    if low < -180.0:
        ranges = ((low + 360.0, 180.0), (-180.0, high))
    elif high > 180.0:
        ranges = ((low, 180.0), (-180.0, high - 360.0))
    else:
        ranges = ((low, high),)
    return BoundingBox(math.degrees(min_lat), math.degrees(max_lat), ranges)


def within_radius(
    items: Iterable[T], latitude: float, longitude: float, radius_m: float, *, key=lambda item: item
) -> list[tuple[T, float]]:
    """Items within `radius_m` of the point, nearest first (ties by input order), each
    with its distance. `key(item)` gives the item's (latitude, longitude)."""
    found = []
    for index, item in enumerate(items):
        lat, lng = key(item)
        distance = haversine_m(latitude, longitude, lat, lng)
        if distance <= radius_m:
            found.append((distance, index, item))
    found.sort(key=lambda row: (row[0], row[1]))
    return [(item, distance) for distance, _, item in found]
