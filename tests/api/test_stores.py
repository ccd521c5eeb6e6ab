"""Offline stores (MER-2): management, validation, store staff, and nearestStores."""

import json
import math

import pytest

import settings
from models.merchants import Merchant, Store, StoreStaff
from services.accounts import referral
from services.core.geo import haversine_m
from services.merchants import stores as store_service
from tests.api.test_merchants import make_merchant, make_staff
from tests.helpers import at, gid, make_user, pk_of, token_for
from tests.unit.test_geo import destination

STORE = {
    "name": "西湖店",
    "phone": "0571-8888 6666",
    "provinceCode": "330000",
    "cityCode": "330100",
    "countyCode": "330106",
    "regionName": "浙江省 杭州市 西湖区",
    "address": "文三路 90 号",
    "latitude": 30.27,
    "longitude": 120.13,
    "openingHours": [
        {"weekday": 2, "opens": "09:00", "closes": "21:00"},
        {"weekday": 1, "opens": "13:00", "closes": "24:00"},
        {"weekday": 1, "opens": "08:00", "closes": "12:00"},
    ],
    "serviceItems": ["自提", " 维修 ", "自提"],
}
FIELDS = "id name phone provinceCode cityCode countyCode regionName address latitude longitude openingHours { weekday opens closes } serviceItems isActive inviteCode merchant { id }"
CREATE = f"mutation($m: ID!, $s: StoreInput!) {{ createStore(merchantId: $m, input: $s) {{ store {{ {FIELDS} }} errors {{ code field }} }} }}"
UPDATE = "mutation($id: ID!, $s: StoreInput!) { updateStore(id: $id, input: $s) { store { name latitude } errors { code field } } }"
DEACTIVATE = "mutation($id: ID!) { deactivateStore(id: $id) { store { isActive } errors { code field } } }"
ACTIVATE = "mutation($id: ID!) { activateStore(id: $id) { store { isActive } errors { code field } } }"
ADD_STAFF = "mutation($s: ID!, $u: ID, $p: String) { addStoreStaff(storeId: $s, userId: $u, phone: $p) { staff { user { id } } errors { code field } } }"
REMOVE_STAFF = "mutation($s: ID!, $u: ID!) { removeStoreStaff(storeId: $s, userId: $u) { ok errors { code field } } }"
NEAREST = "query($lat: Degrees!, $lng: Degrees!, $r: Int!, $n: Int!) { nearestStores(latitude: $lat, longitude: $lng, radiusMeters: $r, first: $n) { distanceMeters store { id name latitude longitude } } }"


async def owner_and_merchant():
    owner = await make_user("owner")
    merchant = await make_merchant(owner)
    return await token_for(owner), merchant


async def put_store(merchant: Merchant, lat: float, lng: float, name: str = "s", *, active: bool = True) -> Store:
    return await Store.create(
        merchant_id=merchant.id,
        name=name,
        province_code="330000",
        city_code="330100",
        county_code="330106",
        address="a",
        latitude=lat,
        longitude=lng,
        invite_code=referral.new_invite_code(),
        is_active=active,
    )


async def nearest(api, lat, lng, radius=5000, first=20) -> list[dict]:
    return (await api(NEAREST, {"lat": lat, "lng": lng, "r": radius, "n": first}))["nearestStores"]


# --------------------------------------------------------------------------- management


async def test_create_store(api):
    token, merchant = await owner_and_merchant()
    result = (await api(CREATE, {"m": gid(merchant), "s": STORE}, token=token))["createStore"]
    assert result["errors"] == []
    store = result["store"]
    assert store["phone"] == "+8657188886666" and store["latitude"] == 30.27 and store["longitude"] == 120.13
    assert store["openingHours"] == [
        {"weekday": 1, "opens": "08:00", "closes": "12:00"},
        {"weekday": 1, "opens": "13:00", "closes": "24:00"},
        {"weekday": 2, "opens": "09:00", "closes": "21:00"},
    ]
    assert (
        store["serviceItems"] == ["自提", "维修"] and store["isActive"] and store["merchant"] == {"id": gid(merchant)}
    )
    assert len(store["inviteCode"]) == 8 and set(store["inviteCode"]) <= set(referral.ALPHABET)
    second = (await api(CREATE, {"m": gid(merchant), "s": {**STORE, "name": "二店"}}, token=token))["createStore"][
        "store"
    ]
    assert second["inviteCode"] != store["inviteCode"]
    listed = await api(
        "query($id: ID!) { managedMerchant(id: $id) { stores { name } } }", {"id": gid(merchant)}, token=token
    )
    assert [s["name"] for s in listed["managedMerchant"]["stores"]] == ["西湖店", "二店"]


async def test_bad_stores_are_refused_and_nothing_is_written(api):
    token, merchant = await owner_and_merchant()
    cases = [
        ({"latitude": 90.5}, "INVALID_COORDINATES", "latitude"),
        ({"latitude": -91}, "INVALID_COORDINATES", "latitude"),
        ({"longitude": 180.01}, "INVALID_COORDINATES", "longitude"),
        ({"longitude": -181}, "INVALID_COORDINATES", "longitude"),
        ({"name": " "}, "INVALID_INPUT", "name"),
        ({"address": ""}, "INVALID_INPUT", "address"),
        ({"cityCode": "3301"}, "INVALID_INPUT", "cityCode"),
        ({"countyCode": "440106"}, "INVALID_INPUT", "countyCode"),
        ({"provinceCode": "33000a"}, "INVALID_INPUT", "provinceCode"),
        ({"phone": "123"}, "INVALID_PHONE", "phone"),
        ({"openingHours": [{"weekday": 8, "opens": "09:00", "closes": "10:00"}]}, "INVALID_INPUT", "openingHours"),
        ({"openingHours": [{"weekday": 0, "opens": "09:00", "closes": "10:00"}]}, "INVALID_INPUT", "openingHours"),
        ({"openingHours": [{"weekday": 1, "opens": "9:00", "closes": "10:00"}]}, "INVALID_INPUT", "openingHours"),
        ({"openingHours": [{"weekday": 1, "opens": "09:00", "closes": "24:01"}]}, "INVALID_INPUT", "openingHours"),
        ({"openingHours": [{"weekday": 1, "opens": "24:00", "closes": "24:00"}]}, "INVALID_INPUT", "openingHours"),
        ({"openingHours": [{"weekday": 1, "opens": "18:00", "closes": "09:00"}]}, "INVALID_INPUT", "openingHours"),
        (
            {
                "openingHours": [
                    {"weekday": 1, "opens": "09:00", "closes": "13:00"},
                    {"weekday": 1, "opens": "12:00", "closes": "18:00"},
                ]
            },
            "INVALID_INPUT",
            "openingHours",
        ),
        ({"serviceItems": ["x" * 33]}, "INVALID_INPUT", "serviceItems"),
        ({"serviceItems": [" "]}, "INVALID_INPUT", "serviceItems"),
        ({"serviceItems": [f"s{i}" for i in range(21)]}, "INVALID_INPUT", "serviceItems"),
    ]
    for change, code, field in cases:
        result = (await api(CREATE, {"m": gid(merchant), "s": {**STORE, **change}}, token=token))["createStore"]
        assert result == {"store": None, "errors": [{"code": code, "field": at(field)}]}, change
    assert await Store.all().count() == 0


async def test_non_finite_coordinates_are_refused(api):
    token, merchant = await owner_and_merchant()

    # JSON has no NaN/Infinity, but Python's parser accepts them: the service still refuses.
    async def post(query, variables, token=None):
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        content = json.dumps({"query": query, "variables": variables})  # allow_nan: writes NaN / Infinity
        return (await api.client.post("/graphql", content=content, headers=headers)).json()

    for lat, lng, field in ((math.nan, 120.0, "latitude"), (30.0, math.inf, "longitude"), (-math.inf, 0.0, "latitude")):
        body = await post(CREATE, {"m": gid(merchant), "s": {**STORE, "latitude": lat, "longitude": lng}}, token)
        assert body["data"]["createStore"]["errors"] == [{"code": "INVALID_COORDINATES", "field": at(field)}], body
    body = await post(NEAREST, {"lat": math.nan, "lng": 0.0, "r": 100, "n": 5})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_COORDINATES"
    body = await api.raw(CREATE, {"m": gid(merchant), "s": {**STORE, "latitude": "30"}}, token=token)
    assert body["errors"] and body.get("data") is None  # not a number at all: a GraphQL validation error
    assert await Store.all().count() == 0


async def test_update_and_deactivate_store(api):
    token, merchant = await owner_and_merchant()
    store_id = (await api(CREATE, {"m": gid(merchant), "s": STORE}, token=token))["createStore"]["store"]["id"]
    updated = (await api(UPDATE, {"id": store_id, "s": {**STORE, "name": "湖滨店", "latitude": 30.26}}, token=token))[
        "updateStore"
    ]
    assert updated == {"store": {"name": "湖滨店", "latitude": 30.26}, "errors": []}
    bad = (await api(UPDATE, {"id": store_id, "s": {**STORE, "latitude": 100}}, token=token))["updateStore"]
    assert bad["errors"] == [{"code": "INVALID_COORDINATES", "field": ["latitude"]}]
    assert (await Store.get(id=pk_of(store_id))).latitude == 30.26
    assert (await api(DEACTIVATE, {"id": store_id}, token=token))["deactivateStore"] == {
        "store": {"isActive": False},
        "errors": [],
    }
    assert await nearest(api, 30.26, 120.13) == []
    assert (await api(ACTIVATE, {"id": store_id}, token=token))["activateStore"] == {
        "store": {"isActive": True},
        "errors": [],
    }
    assert len(await nearest(api, 30.26, 120.13)) == 1
    missing = (await api(UPDATE, {"id": gid("Store", 999999), "s": STORE}, token=token))["updateStore"]
    assert missing["errors"] == [{"code": "NOT_FOUND", "field": ["id"]}]


async def test_someone_elses_store_is_forbidden_and_unchanged(api):
    _, merchant = await owner_and_merchant()
    store = await put_store(merchant, 30.0, 120.0, "mine")
    other_token, _ = await owner_and_merchant()
    staff_without = await token_for(
        await make_staff(merchant, ["merchant.orders", "merchant.products", "merchant.finance"])
    )
    for token in (other_token, staff_without):
        for query, variables, field in (
            (UPDATE, {"id": gid(store), "s": STORE}, "updateStore"),
            (DEACTIVATE, {"id": gid(store)}, "deactivateStore"),
            (ADD_STAFF, {"s": gid(store), "u": gid(await make_user())}, "addStoreStaff"),
        ):
            result = (await api(query, variables, token=token))[field]
            assert result["errors"] == [{"code": "FORBIDDEN", "field": None}], field
    row = await Store.get(id=store.id)
    assert row.name == "mine" and row.is_active and await StoreStaff.all().count() == 0


async def test_store_staff(api):
    token, merchant = await owner_and_merchant()
    store = await put_store(merchant, 30.0, 120.0)
    clerk = await make_user("clerk")
    added = (await api(ADD_STAFF, {"s": gid(store), "p": clerk.phone}, token=token))["addStoreStaff"]
    assert added == {"staff": {"user": {"id": gid(clerk)}}, "errors": []}
    assert "store_staff" in (await api("{ me { roles } }", token=await token_for(clerk)))["me"]["roles"]
    dup = (await api(ADD_STAFF, {"s": gid(store), "u": gid(clerk)}, token=token))["addStoreStaff"]
    assert dup["errors"] == [{"code": "INVALID_INPUT", "field": ["userId"]}]
    listed = await api(
        "query($id: ID!) { managedMerchant(id: $id) { stores { staff { user { id } } } } }",
        {"id": gid(merchant)},
        token=token,
    )
    assert listed["managedMerchant"]["stores"] == [{"staff": [{"user": {"id": gid(clerk)}}]}]
    # a settings-only staff member manages stores but not their staff
    settings_staff = await token_for(await make_staff(merchant, ["merchant.settings"]))
    refused = (await api(REMOVE_STAFF, {"s": gid(store), "u": gid(clerk)}, token=settings_staff))["removeStoreStaff"]
    assert refused["errors"] == [{"code": "FORBIDDEN", "field": None}] and await StoreStaff.all().count() == 1
    removed = (await api(REMOVE_STAFF, {"s": gid(store), "u": gid(clerk)}, token=token))["removeStoreStaff"]
    assert removed == {"ok": True, "errors": []} and await StoreStaff.all().count() == 0
    again = (await api(REMOVE_STAFF, {"s": gid(store), "u": gid(clerk)}, token=token))["removeStoreStaff"]
    assert again["errors"] == [{"code": "NOT_FOUND", "field": ["userId"]}]


async def test_private_store_fields_are_hidden_from_the_public(api):
    _, merchant = await owner_and_merchant()
    await put_store(merchant, 30.0, 120.0)
    body = await api.raw("{ nearestStores(latitude: 30, longitude: 120) { store { name inviteCode } } }")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN" and body["errors"][0]["path"][-1] == "inviteCode"


# --------------------------------------------------------------------------- nearestStores


async def test_nearest_stores_sorted_by_distance_with_correct_distances(api):
    _, merchant = await owner_and_merchant()
    centre = (30.2741, 120.1551)
    made = {}
    for name, bearing, dist in (
        ("d2500", 10, 2500),
        ("d100", 200, 100),
        ("d4000", 300, 4000),
        ("d900", 90, 900),
        ("d6000", 45, 6000),
    ):
        made[name] = await put_store(merchant, *destination(*centre, bearing, dist), name)
    found = await nearest(api, *centre, radius=5000)
    assert [f["store"]["name"] for f in found] == ["d100", "d900", "d2500", "d4000"]
    for f in found:
        store = made[f["store"]["name"]]
        assert abs(f["distanceMeters"] - haversine_m(*centre, store.latitude, store.longitude)) <= 0.5
    assert [f["store"]["name"] for f in await nearest(api, *centre, radius=5000, first=2)] == ["d100", "d900"]


async def test_radius_boundary(api):
    _, merchant = await owner_and_merchant()
    centre = (31.23, 121.47)
    store = await put_store(merchant, *destination(*centre, 77, 1234.4))
    exact = haversine_m(*centre, store.latitude, store.longitude)
    assert math.floor(exact) == 1234
    assert await nearest(api, *centre, radius=1234) == []
    assert [f["store"]["id"] for f in await nearest(api, *centre, radius=1235)] == [gid(store)]


async def test_across_the_antimeridian(api):
    _, merchant = await owner_and_merchant()
    east = await put_store(merchant, -16.5, 179.99, "east")
    west = await put_store(merchant, -16.5, -179.99, "west")
    await put_store(merchant, -16.5, 179.0, "far")
    await put_store(merchant, -16.5, 0.0, "greenwich")
    for lng, order in ((179.995, ["east", "west"]), (-179.995, ["west", "east"])):
        found = await nearest(api, -16.5, lng, radius=5000)
        assert [f["store"]["name"] for f in found] == order
    found = await nearest(api, -16.5, 180.0, radius=2000)
    assert {f["store"]["name"] for f in found} == {"east", "west"}
    assert abs(found[0]["distanceMeters"] - haversine_m(-16.5, 180.0, east.latitude, east.longitude)) <= 0.5
    assert haversine_m(east.latitude, east.longitude, west.latitude, west.longitude) < 2200


async def test_near_the_north_pole(api):
    _, merchant = await owner_and_merchant()
    # across the pole from the search point, 1.1 km away, at the opposite longitude
    across = await put_store(merchant, 89.995, -170.0, "across")
    await put_store(merchant, 89.9, 10.0, "south of it")
    found = await nearest(api, 89.995, 10.0, radius=5000)
    assert [f["store"]["name"] for f in found] == ["across"]
    assert abs(found[0]["distanceMeters"] - haversine_m(89.995, 10.0, across.latitude, across.longitude)) <= 0.5
    at_pole = await nearest(api, 90.0, 0.0, radius=1000)
    assert [f["store"]["name"] for f in at_pole] == ["across"]


async def test_one_metre_radius_and_empty_results(api):
    _, merchant = await owner_and_merchant()
    centre = (22.54, 114.06)
    await put_store(merchant, *destination(*centre, 30, 0.5), "half")
    await put_store(merchant, *destination(*centre, 30, 1.5), "one and a half")
    assert [f["store"]["name"] for f in await nearest(api, *centre, radius=1)] == ["half"]
    assert await nearest(api, 45.0, 90.0, radius=50_000) == []
    assert await nearest(api, *centre, radius=5000, first=0) == []


async def test_only_active_stores_of_active_merchants(api):
    centre = (39.9, 116.4)
    _, active = await owner_and_merchant()
    await put_store(active, *destination(*centre, 0, 100), "open")
    await put_store(active, *destination(*centre, 0, 200), "closed", active=False)
    for status in ("SUSPENDED", "PENDING", "REJECTED"):
        await put_store(await make_merchant(status=status), *destination(*centre, 0, 300), status)
    assert [f["store"]["name"] for f in await nearest(api, *centre)] == ["open"]
    # suspending the merchant hides its stores at once
    admin = await token_for(await make_user("admin", roles=("admin",)))
    await api(
        'mutation($id: ID!) { suspendMerchant(id: $id, reason: "r") { errors { code } } }',
        {"id": gid(active)},
        token=admin,
    )
    assert await nearest(api, *centre) == []


async def test_nearest_stores_argument_limits(api):
    for variables, code in (
        ({"r": 50_001}, "INVALID_INPUT"),
        ({"r": 0}, "INVALID_INPUT"),
        ({"r": -5}, "INVALID_INPUT"),
        ({"n": settings.MAX_PAGE_SIZE + 1}, "PAGE_SIZE_EXCEEDED"),
        ({"lat": 90.1}, "INVALID_COORDINATES"),
        ({"lng": -180.5}, "INVALID_COORDINATES"),
    ):
        args = {"lat": 30.0, "lng": 120.0, "r": 1000, "n": 10, **variables}
        assert await api.error_code(NEAREST, args) == code, variables
    assert await nearest(api, 30.0, 120.0, radius=50_000, first=settings.MAX_PAGE_SIZE) == []


async def test_prefilter_uses_the_bounding_box(api):
    """The SQL ranges over the indexed columns: far stores are never even loaded."""
    _, merchant = await owner_and_merchant()
    for i in range(30):
        await put_store(merchant, 20.0 + i, 100.0 + i, f"far{i}")
    near = await put_store(merchant, 30.001, 120.001, "near")
    candidates = await store_service.prefilter(30.0, 120.0, 5000)
    assert [s.id for s in candidates] == [near.id]
    sql = store_service.prefilter(30.0, 120.0, 5000).sql()
    assert '"latitude">=' in sql.replace(" ", "") and '"longitude"<=' in sql.replace(" ", "")
    wrapped = store_service.prefilter(0.0, 179.99, 5000).sql().replace(" ", "")
    assert "OR" in wrapped  # two longitude ranges across the antimeridian
    polar = store_service.prefilter(89.99, 0.0, 5000).sql().replace(" ", "")
    assert '"longitude">=' not in polar and '"longitude"<=' not in polar  # every longitude near the pole


@pytest.mark.parametrize("radius", [1, 50, 5_000, 50_000])
async def test_nearest_matches_a_full_scan(api, radius):
    """Same answer as filtering every store exactly (the prefilter never loses a store)."""
    import random

    rng = random.Random(radius)
    _, merchant = await owner_and_merchant()
    centre = (30.0, 179.9)
    for i in range(60):
        lat, lng = destination(*centre, rng.uniform(0, 360), rng.uniform(0, radius * 1.5))
        await put_store(merchant, lat, lng, f"s{i}")
    expected = sorted(
        ((haversine_m(*centre, s.latitude, s.longitude), s.id) for s in await Store.all()),
    )
    expected = [sid for d, sid in expected if d <= radius][: settings.MAX_PAGE_SIZE]
    found = await store_service.nearest_stores(*centre, radius, settings.MAX_PAGE_SIZE)
    assert [s.id for s, _ in found] == expected
