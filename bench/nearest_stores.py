"""nearestStores on 100,000 stores: the bounding-box prefilter against full scans (MER-2).

    psql -h 127.0.0.1 -U postgres -d test -c "create database bench_stores"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_stores .venv/bin/python bench/nearest_stores.py
                                    # the `public` schema of that database is DROPPED

PostgreSQL only (the question is whether the (latitude, longitude) index is used); with any
other DATABASE_URL it prints a note and exits. Not a test: it never fails on timing.

What it does, in one run:
1. resets the database, runs the migrations, creates one ACTIVE merchant (and one
   SUSPENDED one, whose stores must never be found);
2. COPYs 100,000 stores: 70 % clustered around 40 Chinese city centres, 28 % uniform over
   China (lat 18..53, lng 73..135), 2 % on both sides of the antimeridian (Fiji);
3. times, for the same ~200 random points (radius 5 km, first 20):
   a  services.merchants.stores.nearest_stores          (bbox prefilter on the index, exact in Python)
   b  the nearestStores GraphQL query          (in-process, httpx ASGITransport)
   c  full scan, SQL: haversine over every row in PostgreSQL, no bbox
   d  full scan, Python: SELECT every active store, filter in Python (fewer points: slow)
   and checks that a, c and d return the same stores;
4. prints EXPLAIN ANALYZE of the prefilter SQL (expect an index scan on latitude/longitude).
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STORES = 100_000
POINTS = 200
FULL_SCAN_PYTHON_POINTS = 20
RADIUS_M = 5_000
FIRST = 20
SEED = 20261122

NEAREST = "query($lat: Degrees!, $lng: Degrees!, $r: Int!, $n: Int!) { nearestStores(latitude: $lat, longitude: $lng, radiusMeters: $r, first: $n) { distanceMeters store { id name } } }"

# Great-circle distance in SQL, the same formula and radius as services/geo.haversine_m.
HAVERSINE_SQL = """
SELECT s.id, 2 * $3::float8 * asin(least(1, sqrt(
         power(sin(radians(s.latitude - $1) / 2), 2)
       + cos(radians($1)) * cos(radians(s.latitude)) * power(sin(radians(s.longitude - $2) / 2), 2)))) AS d
  FROM store s JOIN merchant m ON m.id = s.merchant_id
 WHERE s.is_active AND m.status = 'ACTIVE'
"""
FULL_SCAN_SQL = f"SELECT id, d FROM ({HAVERSINE_SQL}) t WHERE d <= $4 ORDER BY d, id LIMIT $5"


def summary(label: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, math.ceil(0.95 * len(ms)) - 1)]
    return f"{label:<58} n={len(ms):>3}  mean {statistics.fmean(ms):8.2f} ms  p50 {statistics.median(ms):8.2f} ms  p95 {p95:8.2f} ms"


def make_stores(rng: random.Random, active_id: int, suspended_id: int) -> list[tuple]:
    cities = [(rng.uniform(20, 46), rng.uniform(100, 125)) for _ in range(40)]
    now = datetime.now(UTC)
    rows = []
    for i in range(STORES):
        roll = rng.random()
        if roll < 0.70:
            clat, clng = rng.choice(cities)
            lat, lng = clat + rng.gauss(0, 0.25), clng + rng.gauss(0, 0.3)
        elif roll < 0.98:
            lat, lng = rng.uniform(18, 53), rng.uniform(73, 135)
        else:  # Fiji, both sides of the antimeridian
            lat, lng = rng.uniform(-18.5, -16.0), rng.choice([rng.uniform(179.0, 180.0), rng.uniform(-180.0, -179.0)])
        merchant_id = suspended_id if i % 50 == 0 else active_id
        rows.append(
            (
                merchant_id,
                f"store {i}",
                "",
                "110000",
                "110100",
                "110101",
                "",
                f"street {i}",
                lat,
                lng,
                "[]",
                "[]",
                f"B{i:011d}",
                i % 97 != 0,
                now,
            )
        )
    return rows, cities


def query_points(rng: random.Random, cities: list[tuple[float, float]]) -> list[tuple[float, float]]:
    points = []
    for i in range(POINTS):
        if i % 10 == 0:
            points.append((rng.uniform(-18.5, -16.0), rng.choice([179.99, -179.99, 179.5, -179.5])))
        elif i % 2 == 0:
            clat, clng = rng.choice(cities)
            points.append((clat + rng.gauss(0, 0.2), clng + rng.gauss(0, 0.2)))
        else:
            points.append((rng.uniform(18, 53), rng.uniform(73, 135)))
    return points


async def main() -> int:
    from schema.node import decode

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "bench/nearest_stores.py measures PostgreSQL index use: set DATABASE_URL to a throw-away PostgreSQL database."
        )
        return 2
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-with-enough-length-for-hs256")
    os.environ["DEBUG"] = "false"
    os.environ["REDIS_URL"] = ""
    os.environ["BROADCAST_URL"] = "memory://"

    import asyncpg
    import httpx
    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate

    import settings
    from manage import reset_database
    from models.merchants import Merchant, Store
    from services.accounts import referral
    from services.core import geo
    from services.merchants import stores

    await reset_database()
    await migrate(config=settings.TORTOISE_ORM)
    await Tortoise.close_connections()
    import wiring

    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    owner = await referral.create_user(nickname="bench owner")
    active = await Merchant.create(name="bench active", owner_id=owner.id, status="ACTIVE")
    suspended = await Merchant.create(name="bench suspended", owner_id=owner.id, status="SUSPENDED")

    rng = random.Random(SEED)
    rows, cities = make_stores(rng, active.id, suspended.id)
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        started = time.perf_counter()
        await conn.copy_records_to_table(
            "store",
            records=rows,
            columns=[
                "merchant_id",
                "name",
                "phone",
                "province_code",
                "city_code",
                "county_code",
                "region_name",
                "address",
                "latitude",
                "longitude",
                "opening_hours",
                "service_items",
                "invite_code",
                "is_active",
                "created_at",
            ],
        )
        await conn.execute("ANALYZE store; ANALYZE merchant")
        print(f"inserted {STORES} stores with COPY in {time.perf_counter() - started:.2f} s")
        points = query_points(rng, cities)

        # warm-up (connection pools, plan cache)
        for lat, lng in points[:5]:
            await stores.nearest_stores(lat, lng, RADIUS_M, FIRST)
            await conn.fetch(FULL_SCAN_SQL, lat, lng, geo.EARTH_RADIUS_M, RADIUS_M, FIRST)

        service_times, found_total = [], 0
        service_answers = []
        for lat, lng in points:
            t0 = time.perf_counter()
            found = await stores.nearest_stores(lat, lng, RADIUS_M, FIRST)
            service_times.append(time.perf_counter() - t0)
            found_total += len(found)
            service_answers.append([s.id for s, _ in found])

        from app import create_app

        transport = httpx.ASGITransport(app=create_app(debug=False, manage_database=False))
        graphql_times = []
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for (lat, lng), expected in zip(points, service_answers):
                body = {"query": NEAREST, "variables": {"lat": lat, "lng": lng, "r": RADIUS_M, "n": FIRST}}
                t0 = time.perf_counter()
                response = (await client.post("/graphql", json=body)).json()
                graphql_times.append(time.perf_counter() - t0)
                assert "errors" not in response, response
                assert [decode(n["store"]["id"])[1] for n in response["data"]["nearestStores"]] == expected

        sql_times, mismatches = [], 0
        for (lat, lng), expected in zip(points, service_answers):
            t0 = time.perf_counter()
            got = await conn.fetch(FULL_SCAN_SQL, lat, lng, geo.EARTH_RADIUS_M, RADIUS_M, FIRST)
            sql_times.append(time.perf_counter() - t0)
            mismatches += [r["id"] for r in got] != expected

        python_times = []
        for (lat, lng), expected in list(zip(points, service_answers))[:FULL_SCAN_PYTHON_POINTS]:
            t0 = time.perf_counter()
            everything = await Store.filter(is_active=True, merchant__status="ACTIVE").values_list(
                "id", "latitude", "longitude"
            )
            near = geo.within_radius(everything, lat, lng, RADIUS_M, key=lambda r: (r[1], r[2]))[:FIRST]
            python_times.append(time.perf_counter() - t0)
            mismatches += [r[0] for r, _ in near] != expected

        print(
            f"{len(points)} points, radius {RADIUS_M} m, first {FIRST}: {found_total} stores found in all "
            f"({found_total / len(points):.1f} per point); answers differing from the service: {mismatches}"
        )
        print(summary("a  service nearest_stores (bbox prefilter + exact)", service_times))
        print(summary("b  GraphQL nearestStores (in-process ASGI)", graphql_times))
        print(summary("c  full scan in SQL (haversine over every row)", sql_times))
        print(summary("d  full scan in Python (load every row, filter)", python_times))
        base = statistics.median(service_times)
        print(
            f"median ratios against a: c/a = {statistics.median(sql_times) / base:.1f}x, "
            f"d/a = {statistics.median(python_times) / base:.1f}x, b/a = {statistics.median(graphql_times) / base:.2f}x"
        )

        lat, lng = points[1]
        sql = stores.prefilter(lat, lng, RADIUS_M).sql(params_inline=True)
        print("\nprefilter SQL:", sql)
        print("EXPLAIN ANALYZE:")
        for row in await conn.fetch("EXPLAIN ANALYZE " + sql):
            print("  ", row[0])
        lat, lng = -17.0, 179.99
        sql = stores.prefilter(lat, lng, RADIUS_M).sql(params_inline=True)
        print("\nantimeridian prefilter, EXPLAIN:")
        for row in await conn.fetch("EXPLAIN " + sql):
            print("  ", row[0])
    finally:
        await conn.close()
        await Tortoise.close_connections()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
