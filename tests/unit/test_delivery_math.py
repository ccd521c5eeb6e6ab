"""Store delivery arithmetic (STO-5): distance, radius, fee. Pure functions, property tests."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from services.core.geo import EARTH_RADIUS_M
from services.stores import delivery_math as dm

lats = st.floats(-80, 80, allow_nan=False)
lngs = st.floats(-179, 179, allow_nan=False)
metres = st.floats(0, 50_000, allow_nan=False)


def north(lat: float, lng: float, distance: float) -> tuple[float, float]:
    return lat + math.degrees(distance / EARTH_RADIUS_M), lng


@given(lats, lngs, lats, lngs)
def test_distance_is_symmetric_and_non_negative(a, b, c, d):
    assert dm.distance_m(a, b, c, d) >= 0
    assert math.isclose(dm.distance_m(a, b, c, d), dm.distance_m(c, d, a, b), rel_tol=1e-9, abs_tol=1e-6)
    assert dm.distance_m(a, b, a, b) == 0


@given(lats, lngs, st.integers(1, 50_000))
def test_one_metre_beyond_the_radius_is_out_and_one_inside_is_in(lat, lng, radius):
    rule = dm.DeliveryRule(radius_m=radius)
    assert not dm.within(rule, dm.distance_m(lat, lng, *north(lat, lng, radius + 1)))
    assert dm.within(rule, dm.distance_m(lat, lng, *north(lat, lng, max(0, radius - 1))))


@given(metres)
def test_started_km(distance):
    km = dm.started_km(distance)
    assert (km - 1) * 1000 < distance <= km * 1000 or (distance == 0 and km == 0)


@given(st.integers(0, 10_000), st.integers(0, 10_000), metres, metres)
def test_the_fee_grows_with_distance(base, per_km, d1, d2):
    rule = dm.DeliveryRule(radius_m=50_000, base_fee=base, per_km_fee=per_km)
    near, far = sorted((d1, d2))
    assert base <= dm.trip_fee(rule, near) <= dm.trip_fee(rule, far)


@given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 100_000), st.integers(0, 200_000), metres)
def test_free_over_the_amount(base, per_km, free_over, goods, distance):
    rule = dm.DeliveryRule(radius_m=50_000, base_fee=base, per_km_fee=per_km, free_over=free_over)
    fee = dm.fee(rule, distance, goods)
    if free_over > 0 and goods >= free_over:
        assert fee == 0
    else:
        assert fee == dm.trip_fee(rule, distance)


def test_examples():
    rule = dm.DeliveryRule(radius_m=3000, base_fee=500, per_km_fee=100, free_over=20000)
    assert dm.trip_fee(rule, 2500) == 800
    assert dm.trip_fee(rule, 1000) == 600
    assert dm.trip_fee(rule, 1001) == 700
    assert dm.fee(rule, 2500, 20000) == 0
