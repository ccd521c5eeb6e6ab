"""Production start-up refuses unsafe settings (safety.py); ALLOW_DEV_ADAPTERS starts loudly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import safety
import settings
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]

SAFE = {
    "DEBUG": False,
    "ALLOW_DEV_ADAPTERS": False,
    "SECRET_KEY": "x" * 48,
    "DATA_KEYS": "k",
    "DATA_HASH_KEY": "h",
    "WECHAT_ADAPTER": "payments.wechat:Adapter",
    "SMS_SENDER": "sms.aliyun:Sender",
    "MESSAGE_SENDER": "sms.aliyun:Messages",
    "PAYMENT_GATEWAY": "payments.wechat:Gateway",
    "PAYOUT_CHANNEL": "manual",
    "PUBLIC_BASE_URL": "https://mall.example.com",
    "WEB_CONCURRENCY": 2,
    "BROADCAST_URL": "redis://127.0.0.1:6379/0",
    "IS_SQLITE": False,
}

UNSAFE = [  # (setting, value, the setting the refusal names)
    ("SECRET_KEY", safety.DEFAULT_SECRET_KEY, "SECRET_KEY"),
    ("SECRET_KEY", "short", "SECRET_KEY"),
    ("DATA_KEYS", "", "DATA_KEYS"),
    ("DATA_HASH_KEY", "", "DATA_HASH_KEY"),
    ("WECHAT_ADAPTER", "fake", "WECHAT_ADAPTER"),
    ("SMS_SENDER", "console", "SMS_SENDER"),
    ("SMS_SENDER", "memory", "SMS_SENDER"),
    ("MESSAGE_SENDER", "log", "MESSAGE_SENDER"),
    ("PAYMENT_GATEWAY", "sandbox", "PAYMENT_GATEWAY"),
    ("PAYOUT_CHANNEL", "sandbox", "PAYOUT_CHANNEL"),
    ("PUBLIC_BASE_URL", "http://127.0.0.1:8000", "PUBLIC_BASE_URL"),
    ("PUBLIC_BASE_URL", "http://localhost", "PUBLIC_BASE_URL"),
    ("BROADCAST_URL", "memory://", "BROADCAST_URL"),
    ("IS_SQLITE", True, "DATABASE_URL"),
]


@pytest.fixture
def safe(monkeypatch):
    for name, value in SAFE.items():
        monkeypatch.setattr(settings, name, value)
    return monkeypatch


def test_a_safe_configuration_starts(safe):
    assert safety.check() == []
    safety.enforce("web")  # no exception


@pytest.mark.parametrize(("name", "value", "named"), UNSAFE)
def test_each_unsafe_setting_refuses_the_start(safe, name, value, named):
    safe.setattr(settings, name, value)
    assert [p.setting for p in safety.check()] == [named]
    with pytest.raises(safety.UnsafeConfiguration) as refused:
        safety.enforce("worker")
    assert named in str(refused.value) and "ALLOW_DEV_ADAPTERS" in str(refused.value)


def test_one_web_process_may_use_sqlite_and_memory(safe):
    safe.setattr(settings, "WEB_CONCURRENCY", 1)
    safe.setattr(settings, "IS_SQLITE", True)
    safe.setattr(settings, "BROADCAST_URL", "memory://")
    assert safety.check() == []


def test_debug_allows_everything(safe):
    safe.setattr(settings, "DEBUG", True)
    safe.setattr(settings, "PAYMENT_GATEWAY", "sandbox")
    assert safety.check() == []


async def test_allow_dev_adapters_starts_with_a_warning_in_the_log_and_healthz(safe, caplog, api):
    """(The app's lifespan calls `safety.enforce("web")`; the session's app is not restarted here,
    since its lifespan owns the test session's broadcast.)"""
    safe.setattr(settings, "PAYMENT_GATEWAY", "sandbox")
    safe.setattr(settings, "ALLOW_DEV_ADAPTERS", True)
    with caplog.at_level("WARNING", logger="safety"):
        safety.enforce("web")  # no exception
    assert any(
        "ALLOW_DEV_ADAPTERS=true" in r.getMessage() and "PAYMENT_GATEWAY" in r.getMessage() for r in caplog.records
    )
    body = (await api.client.get("/healthz")).json()
    assert body["warnings"][0].startswith("ALLOW_DEV_ADAPTERS=true")
    assert [w for w in body["warnings"] if w.startswith("PAYMENT_GATEWAY")]
    safe.setattr(settings, "ALLOW_DEV_ADAPTERS", False)
    assert "warnings" not in (await api.client.get("/healthz")).json()


def _production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ALLOW_DEV_ADAPTERS", "SECRET_KEY")}
    env.update(DEBUG="false", PYTHONUNBUFFERED="1")
    return env


def test_the_web_process_refuses_to_start_with_the_defaults():
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=_production_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for name in ("SECRET_KEY", "DATA_KEYS", "PAYMENT_GATEWAY", "PUBLIC_BASE_URL"):
        assert name in output, output


def test_the_worker_refuses_to_start_with_the_defaults():
    result = subprocess.run(
        [sys.executable, "worker.py", "--once"], cwd=ROOT, env=_production_env(), capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Refusing to start the worker process" in result.stdout + result.stderr
