"""What a server or worker process checks before it starts: no development adapter, default
secret or single-process setting in production.

With DEBUG off, `check()` lists every unsafe setting with what to set instead; the web and
worker processes refuse to start on any (`enforce()`). ALLOW_DEV_ADAPTERS=true (a staging box)
starts anyway with a loud warning at start-up and in /healthz (`warnings()`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import settings

log = logging.getLogger("safety")

DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me-in-production"
MIN_SECRET_KEY_LENGTH = 32
DEV_SMS_SENDERS = ("console", "memory")
DEV_MESSAGE_SENDERS = ("log", "memory")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1", "")


@dataclass(frozen=True)
class Problem:
    setting: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.setting}: {self.problem} -> {self.fix}"


def check() -> list[Problem]:
    """Every unsafe production setting (empty when DEBUG is on: development is allowed all)."""
    if settings.DEBUG:
        return []
    problems: list[Problem] = []

    def bad(setting: str, problem: str, fix: str) -> None:
        problems.append(Problem(setting, problem, fix))

    if settings.SECRET_KEY == DEFAULT_SECRET_KEY:
        bad("SECRET_KEY", "is the public development key", "set a random key of 32+ characters")
    elif len(settings.SECRET_KEY) < MIN_SECRET_KEY_LENGTH:
        bad("SECRET_KEY", f"is shorter than {MIN_SECRET_KEY_LENGTH} characters", "set a random key of 32+ characters")
    if not settings.DATA_KEYS:
        bad("DATA_KEYS", "is not set: personal data would be encrypted with a key derived from SECRET_KEY",
            "set one or more Fernet keys (python -m manage generate-keys)")  # fmt: skip
    if not settings.DATA_HASH_KEY:
        bad("DATA_HASH_KEY", "is not set: the blind index would be keyed from SECRET_KEY",
            "set a random key (python -m manage generate-keys)")  # fmt: skip
    if settings.WECHAT_ADAPTER == "fake":
        bad("WECHAT_ADAPTER", "is the fake adapter: anyone can sign in as any WeChat user",
            "set the real adapter ('package.module:Class') with WECHAT_APP_ID / WECHAT_APP_SECRET")  # fmt: skip
    if settings.SMS_SENDER in DEV_SMS_SENDERS:
        bad("SMS_SENDER", f"is {settings.SMS_SENDER!r}: sign-in codes would be logged or kept in memory",
            "set your SMS provider's sender ('package.module:Class')")  # fmt: skip
    if settings.MESSAGE_SENDER in DEV_MESSAGE_SENDERS:
        bad("MESSAGE_SENDER", f"is {settings.MESSAGE_SENDER!r}: order messages are only logged",
            "set your message provider's sender ('package.module:Class')")  # fmt: skip
    if settings.PAYMENT_GATEWAY == "sandbox":
        bad("PAYMENT_GATEWAY", "is the sandbox: anyone can mark an order paid",
            "set the real gateway ('package.module:Class')")  # fmt: skip
    if settings.PAYOUT_CHANNEL == "sandbox":
        bad("PAYOUT_CHANNEL", "is the sandbox: payouts succeed without moving money",
            "set 'manual' or the real channel ('package.module:Class')")  # fmt: skip
    if (urlsplit(settings.PUBLIC_BASE_URL).hostname or "") in LOCAL_HOSTS:
        bad("PUBLIC_BASE_URL", f"points at this machine ({settings.PUBLIC_BASE_URL})",
            "set the public https:// address gateways and shared links reach")  # fmt: skip
    if "*" in settings.CORS_ALLOWED_ORIGINS:
        bad("CORS_ALLOWED_ORIGINS", "is *: pages on any site may call the API and open its WebSocket",
            "list the origins of your own front ends (https://shop.example.com, comma-separated)")  # fmt: skip
    if settings.WEB_CONCURRENCY > 1:
        if settings.BROADCAST_URL.startswith("memory"):
            bad("BROADCAST_URL", f"is in-memory while {settings.WEB_CONCURRENCY} web processes run (WEB_CONCURRENCY): "
                "a subscriber hears only the events of its own process", "set REDIS_URL")  # fmt: skip
        if settings.IS_SQLITE:
            bad("DATABASE_URL", f"is SQLite while {settings.WEB_CONCURRENCY} web processes run (WEB_CONCURRENCY): "
                "concurrent writes fail with 'database is locked'", "use PostgreSQL, or WEB_CONCURRENCY=1")  # fmt: skip
    return problems


def warnings() -> list[str]:
    """What /healthz reports: the unsafe settings a staging box runs with (ALLOW_DEV_ADAPTERS)."""
    return [str(p) for p in check()] if settings.ALLOW_DEV_ADAPTERS else []


class UnsafeConfiguration(SystemExit):
    pass


def enforce(process: str) -> None:
    """Refuse to start (`process`: "web", "worker") on any problem, unless ALLOW_DEV_ADAPTERS."""
    problems = check()
    if not problems:
        return
    listing = "\n".join(f"  - {p}" for p in problems)
    if settings.ALLOW_DEV_ADAPTERS:
        log.warning(
            "ALLOW_DEV_ADAPTERS=true: the %s process starts with development settings (never in production):\n%s",
            process,
            listing,
        )
        return
    message = (
        f"Refusing to start the {process} process with DEBUG off: unsafe settings\n{listing}\n"
        "Fix them, or set ALLOW_DEV_ADAPTERS=true on a staging box (never in production)."
    )
    log.error(message)
    raise UnsafeConfiguration(message)
