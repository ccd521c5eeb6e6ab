import settings


async def test_healthz_reports_database_and_redis(api):
    response = await api.client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok" and body["status"] == "ok"
    assert body["redis"] == "not configured"  # the test app starts no Redis client of its own


async def test_healthz_checks_redis_when_configured(app, api):
    from redis import asyncio as aioredis

    app.state.redis = aioredis.Redis.from_url("redis://127.0.0.1:1")  # nothing listens there
    try:
        response = await api.client.get("/healthz")
    finally:
        await app.state.redis.aclose()
    assert response.status_code == 503 and response.json()["redis"].startswith("error")
    if settings.REDIS_URL:
        app.state.redis = aioredis.Redis.from_url(settings.REDIS_URL)
        try:
            assert (await api.client.get("/healthz")).json()["redis"] == "ok"
        finally:
            await app.state.redis.aclose()
