"""services/core/geo.py: great-circle distance and the bounding-box prefilter, without a database."""

import math
import random

import pytest

from services.core.geo import EARTH_RADIUS_M, BoundingBox, bounding_box, haversine_m, valid_coordinates, within_radius


def destination(lat: float, lng: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """The point `distance_m` away along `bearing_deg` (spherical direct problem), lng in [-180, 180]."""
    d = distance_m / EARTH_RADIUS_M
    phi1, lmb1, theta = math.radians(lat), math.radians(lng), math.radians(bearing_deg)
    phi2 = math.asin(math.sin(phi1) * math.cos(d) + math.cos(phi1) * math.sin(d) * math.cos(theta))
    lmb2 = lmb1 + math.atan2(
        math.sin(theta) * math.sin(d) * math.cos(phi1), math.cos(d) - math.sin(phi1) * math.sin(phi2)
    )
    lng2 = (math.degrees(lmb2) + 540.0) % 360.0 - 180.0
    return math.degrees(phi2), lng2


def test_haversine_known_distances():
    assert haversine_m(30.0, 120.0, 30.0, 120.0) == 0.0
    # one degree of longitude on the equator is 1/360 of the circumference
    assert haversine_m(0, 0, 0, 1) == pytest.approx(2 * math.pi * EARTH_RADIUS_M / 360, rel=1e-12)
    # Beijing - Shanghai, about 1067 km
    assert haversine_m(39.9042, 116.4074, 31.2304, 121.4737) == pytest.approx(1_067_000, abs=3_000)
    # symmetric, and across the antimeridian the short way round
    assert haversine_m(10, 179.99, 10, -179.99) == pytest.approx(haversine_m(10, -179.99, 10, 179.99))
    assert haversine_m(0, 179.99, 0, -179.99) == pytest.approx(2 * math.pi * EARTH_RADIUS_M * 0.02 / 360, rel=1e-9)
    # pole to pole is half the circumference
    assert haversine_m(90, 0, -90, 0) == pytest.approx(math.pi * EARTH_RADIUS_M)


def test_destination_helper_agrees_with_haversine():
    for lat, lng, bearing, dist in ((30, 120, 45, 5000), (89.9, 10, 180, 1000), (0, 179.999, 90, 2000)):
        lat2, lng2 = destination(lat, lng, bearing, dist)
        assert haversine_m(lat, lng, lat2, lng2) == pytest.approx(dist, rel=1e-9)


def test_valid_coordinates():
    assert valid_coordinates(0, 0) and valid_coordinates(90, 180) and valid_coordinates(-90, -180)
    assert valid_coordinates(30.27, 120.15)
    for lat, lng in (
        (90.0001, 0),
        (-90.0001, 0),
        (0, 180.0001),
        (0, -180.0001),
        (math.nan, 0),
        (0, math.nan),
        (math.inf, 0),
        (0, -math.inf),
        (True, 0),
        (0, False),
        (None, 0),
        ("30", "120"),
    ):
        assert not valid_coordinates(lat, lng), (lat, lng)


def test_ordinary_box_is_one_range_and_tight():
    box = bounding_box(30.0, 120.0, 5_000)
    assert len(box.lng_ranges) == 1 and not box.full_longitude
    low, high = box.lng_ranges[0]
    # latitude half-span is the angular radius; longitude half-span is wider by about 1/cos(lat)
    assert box.max_lat - 30.0 == pytest.approx(math.degrees(5_000 / EARTH_RADIUS_M), rel=1e-6)
    assert (high - 120.0) == pytest.approx(math.degrees(5_000 / EARTH_RADIUS_M) / math.cos(math.radians(30)), rel=1e-3)
    assert low == pytest.approx(240.0 - high)
    # points just beyond the radius due north/east are outside the box
    assert not box.contains(*destination(30, 120, 0, 5_050))
    assert not box.contains(*destination(30, 120, 90, 5_100))


def test_box_across_the_antimeridian_wraps_into_two_ranges():
    box = bounding_box(10.0, 179.99, 5_000)
    assert len(box.lng_ranges) == 2
    (low1, high1), (low2, high2) = box.lng_ranges
    assert high1 == 180.0 and low2 == -180.0 and 179.9 < low1 < 179.99 and -179.99 < high2 < -179.9
    assert box.contains(10.0, -179.99) and box.contains(10.0, 179.99) and box.contains(10.0, 180.0)
    assert not box.contains(10.0, 0.0) and not box.contains(10.0, -179.0)
    west = bounding_box(-20.0, -179.995, 3_000)
    assert len(west.lng_ranges) == 2 and west.contains(-20.0, 179.99)


def test_box_reaching_a_pole_covers_every_longitude():
    north = bounding_box(89.99, 45.0, 5_000)
    assert north.full_longitude and north.max_lat == 90.0
    assert north.contains(89.995, -135.0)  # across the pole from the centre, within 5 km
    assert haversine_m(89.99, 45.0, 89.995, -135.0) < 5_000
    south = bounding_box(-89.999, 0.0, 1_000)
    assert south.full_longitude and south.min_lat == -90.0
    # near (not at) the pole the box is wide but finite
    near = bounding_box(89.0, 10.0, 5_000)
    assert not near.full_longitude and near.max_lat < 90.0


def test_tiny_radius_box():
    box = bounding_box(30.0, 120.0, 1)
    assert box.contains(30.0, 120.0)
    assert box.max_lat - box.min_lat == pytest.approx(
        2 * math.degrees(1 / EARTH_RADIUS_M), rel=1e-4
    )  # margin: micrometres
    assert not box.contains(*destination(30, 120, 0, 1.01))
    zero = bounding_box(30.0, 120.0, 0)
    assert zero.contains(30.0, 120.0)


def test_box_contains_every_point_within_the_radius_random():
    rng = random.Random(20261122)
    centres = [(rng.uniform(-89.9, 89.9), rng.uniform(-180, 180)) for _ in range(300)]
    centres += [(89.95, 0.0), (-89.95, 90.0), (0.0, 180.0), (0.0, -180.0), (45.0, 179.999), (-45.0, -179.999)]
    for lat, lng in centres:
        radius = rng.choice([1, 10, 500, 5_000, 50_000])
        box = bounding_box(lat, lng, radius)
        for _ in range(40):
            # points on the rim are the hardest case for the box
            p = destination(lat, lng, rng.uniform(0, 360), radius * rng.choice([1.0, rng.random()]))
            assert box.contains(*p), (lat, lng, radius, p, box)


def test_box_rejects_negative_radius():
    with pytest.raises(ValueError):
        bounding_box(0, 0, -1)


def test_within_radius_filters_sorts_and_keeps_distances():
    centre = (30.0, 120.0)
    points = {
        name: destination(*centre, bearing, dist)
        for name, bearing, dist in (
            ("far", 10, 4_000),
            ("near", 200, 100),
            ("edge", 90, 4_999.99),
            ("out", 0, 5_001),
            ("mid", 300, 2_500),
        )
    }
    found = within_radius(points.items(), *centre, 5_000, key=lambda kv: kv[1])
    assert [name for (name, _), _ in found] == ["near", "mid", "far", "edge"]
    for (_, (lat, lng)), distance in found:
        assert distance == pytest.approx(haversine_m(*centre, lat, lng))
    assert within_radius([], *centre, 5_000) == []
    # equal distances keep the input order
    spot = destination(*centre, 45, 1_000)
    same = [("x", spot), ("y", spot), ("z", spot)]
    assert [name for (name, _), _ in within_radius(same, *centre, 1_001, key=lambda kv: kv[1])] == ["x", "y", "z"]


def test_bounding_box_is_a_value():
    assert bounding_box(1, 2, 3) == bounding_box(1, 2, 3)
    assert isinstance(bounding_box(1, 2, 3), BoundingBox)
