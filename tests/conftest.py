"""Test setup: one database per session (SQLite file by default; PostgreSQL when
DATABASE_URL is set), migrated with the real migrations, emptied before each test.

The service clock starts every test at a fixed instant, TEST_CLOCK_START (default below: a
Wednesday, 10:00 business time), never at today's date; CI repeats the date-sensitive tests
(marker `clock`) at a Sunday, a month's last day and New Year's Eve 23:30."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Settings are read at import: configure before anything imports them.
DEFAULT_CLOCK_START = "2026-06-10T10:00:00+08:00"
os.environ["CLOCK_START"] = os.environ.get("TEST_CLOCK_START") or DEFAULT_CLOCK_START
_tmp = Path(tempfile.mkdtemp(prefix="socialmall-tests-"))
os.environ.setdefault("DATABASE_URL", f"sqlite://{_tmp / 'test.sqlite3'}")
os.environ["SMS_SENDER"] = "memory"
os.environ["WECHAT_ADAPTER"] = "fake"
os.environ["MESSAGE_SENDER"] = "memory"
os.environ["PAYMENT_GATEWAY"] = "sandbox"
os.environ["DEBUG"] = "false"
os.environ["STRICT_ERROR_CODES"] = "true"  # every mutation returns only the codes it declares
os.environ["ALLOW_DEV_ADAPTERS"] = "true"  # production's start-up refusal, minus the dev adapters tests use
os.environ.setdefault("SECRET_KEY", "test-secret-key-with-enough-length-for-hs256")
# Tests change rows directly (factories, truncation between tests): answers cached by an earlier
# request would be stale. tests/api/test_response_cache.py turns the cache on for its own apps.
os.environ["RESPONSE_CACHE"] = "false"
if os.environ.get("REDIS_URL"):
    os.environ.setdefault("BROADCAST_URL", os.environ["REDIS_URL"])

import pytest
import pytest_asyncio
from tortoise import Tortoise
from tortoise.contrib.test import truncate_all_models

import settings
import wiring
from manage import reset_database
from services.accounts import (
    access,
    sms,
)
from services.core import clock, events
from services.marketing import promotions
from services.orders import messages
from subscriptions.hub import create_broadcast, set_broadcast

pytest_plugins = ["tests.helpers"]


@pytest_asyncio.fixture(scope="session", loop_scope="session", autouse=True)
async def database():
    from tortoise.migrations.api.migrate import migrate

    await reset_database()
    wiring.install()
    await migrate(config=settings.TORTOISE_ORM)
    await Tortoise.close_connections()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    broadcast = create_broadcast(settings.BROADCAST_URL, settings.SUBSCRIBER_QUEUE_SIZE)
    await broadcast.connect()
    set_broadcast(broadcast)
    events.set_publisher(broadcast.publish)
    yield
    events.set_publisher(None)
    await broadcast.disconnect()
    set_broadcast(None)
    await Tortoise.close_connections()


@pytest_asyncio.fixture(loop_scope="session", autouse=True)
async def clean(database):
    await truncate_all_models()
    await access.sync_catalog()
    clock.reset()
    promotions.forget()
    sms.set_sender(sms.MemorySmsSender())
    messages.sender.set(None)  # a fresh MemorySender per test
    yield
    clock.reset()


# Tests whose outcome depends on the calendar (settlement periods, business days, report
# buckets, leaderboards, expiries, daily limits): CI runs them again at other start instants
# (`pytest -m clock` with TEST_CLOCK_START set; see .ci/run).
DATE_SENSITIVE = {
    "tests/services/test_month_simulation.py",
    "tests/services/test_jobs.py",
    "tests/services/test_after_sales.py",
    "tests/api/test_settlement.py",
    "tests/api/test_refund_after_settlement.py",
    "tests/api/test_reports.py",
    "tests/api/test_consignment_stats.py",
    "tests/api/test_distributor_centre.py",
    "tests/api/test_membership.py",
    "tests/api/test_withdrawals.py",
    "tests/api/test_auth.py",
    "tests/api/test_grades.py",
    "tests/api/test_orders.py",
    "tests/api/test_after_sales.py",
    "tests/api/test_content.py",
    "tests/api/test_risk.py",
    "tests/api/test_distribution.py",
    "tests/unit/test_settlement_periods.py",
    "tests/unit/test_withdrawal_rules.py",
}


def pytest_collection_modifyitems(config, items) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        if Path(str(item.path)).relative_to(root).as_posix() in DATE_SENSITIVE:
            item.add_marker(pytest.mark.clock)


requires_postgres = pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)")
requires_redis = pytest.mark.skipif(not settings.BROADCAST_URL.startswith("redis"), reason="needs Redis (REDIS_URL)")
