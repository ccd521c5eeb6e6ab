"""Configuration from the environment (12-factor), with embedded defaults for development.

Every value can be set as an environment variable or in a `.env` file in the working
directory. Defaults give a working development setup: a SQLite file and the in-memory
broadcast backend.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.config import Config, undefined
from starlette.datastructures import CommaSeparatedStrings

BASE_DIR = Path(__file__).resolve().parent
_env = Config(BASE_DIR / ".env" if (BASE_DIR / ".env").exists() else None)
READ: dict[str, Any] = {}  # every setting by name, as read: the start-up summary (logs.py, secrets masked)


def config(key: str, cast: Callable[[Any], Any] | None = None, default: Any = undefined) -> Any:
    READ[key] = value = _env(key, cast=cast, default=default)
    return value


DEBUG: bool = config("DEBUG", cast=bool, default=False)
DATABASE_URL: str = config("DATABASE_URL", default=f"sqlite://{BASE_DIR / 'data' / 'dev.sqlite3'}")
REDIS_URL: str = config("REDIS_URL", default="")
# Broadcast backend for subscriptions: memory:// in one process, Redis across processes.
BROADCAST_URL: str = config("BROADCAST_URL", default=REDIS_URL or "memory://")
# Prefix of every pub/sub channel on Redis. Channels are global to a Redis server, whatever
# the database number in the URL: deployments (or test runs) sharing one must differ here.
BROADCAST_CHANNEL_PREFIX: str = config("BROADCAST_CHANNEL_PREFIX", default="")
# A mutation returning an error code that resolvers/error_codes.py does not declare for it
# raises instead (the test suite sets it, so the declarations cannot drift).
STRICT_ERROR_CODES: bool = config("STRICT_ERROR_CODES", cast=bool, default=False)
SECRET_KEY: str = config("SECRET_KEY", default="dev-insecure-secret-key-change-me-in-production")
# With DEBUG off the web and worker processes refuse to start with development adapters or
# default secrets (safety.py); true lets a staging box start anyway, loudly (never production).
ALLOW_DEV_ADAPTERS: bool = config("ALLOW_DEV_ADAPTERS", cast=bool, default=False)
# Web processes the Procfile starts (uvicorn --workers): more than one needs Redis and PostgreSQL.
WEB_CONCURRENCY: int = config("WEB_CONCURRENCY", cast=int, default=2)

# Browsers and proxies. CORS_ALLOWED_ORIGINS: comma-separated origins (https://shop.example.com)
# whose pages may call /graphql over HTTP (CORS) and open its WebSocket; empty = same origin only;
# "*" only with DEBUG. A client that sends no Origin header (a native app) is not a browser page
# and is always let in. FORWARDED_ALLOW_IPS: the reverse proxies (IPs or CIDR networks,
# comma-separated, or "*") whose X-Forwarded-For / X-Forwarded-Proto are believed (proxies.py).
CORS_ALLOWED_ORIGINS: list[str] = list(config("CORS_ALLOWED_ORIGINS", cast=CommaSeparatedStrings, default=""))
FORWARDED_ALLOW_IPS: str = config("FORWARDED_ALLOW_IPS", default="127.0.0.1")

# Logs and metrics. LOG_FORMAT: "text" (readable) or "json" (one object per line). METRICS_TOKEN:
# the bearer token /metrics asks for; unset, /metrics is 404 (open with DEBUG). OTEL_ENABLED:
# OpenTelemetry spans per operation (needs the opentelemetry packages, not installed by default).
LOG_FORMAT: str = config("LOG_FORMAT", default="text")
LOG_LEVEL: str = config("LOG_LEVEL", default="INFO")
METRICS_TOKEN: str = config("METRICS_TOKEN", default="")
OTEL_ENABLED: bool = config("OTEL_ENABLED", cast=bool, default=False)

CURRENCY: str = config("CURRENCY", default="CNY")

# Sensitive data at rest (RISK-3, services/core/sensitive.py). DATA_KEYS: comma-separated Fernet
# keys, the first encrypts, all decrypt (rotation: put the new key first, run
# `python -m manage rotate-keys`, then drop the old one). DATA_HASH_KEY keys the blind index
# used to look values up. Both default to keys derived from SECRET_KEY (development only).
DATA_KEYS: str = config("DATA_KEYS", default="")
DATA_HASH_KEY: str = config("DATA_HASH_KEY", default="")

# Tokens
ACCESS_TOKEN_TTL_SECONDS: int = config("ACCESS_TOKEN_TTL_SECONDS", cast=int, default=15 * 60)
REFRESH_TOKEN_TTL_SECONDS: int = config("REFRESH_TOKEN_TTL_SECONDS", cast=int, default=30 * 24 * 3600)

# SMS sign-in codes
SMS_CODE_TTL_SECONDS: int = config("SMS_CODE_TTL_SECONDS", cast=int, default=5 * 60)
SMS_CODE_MAX_ATTEMPTS: int = config("SMS_CODE_MAX_ATTEMPTS", cast=int, default=5)
SMS_PHONE_COOLDOWN_SECONDS: int = config("SMS_PHONE_COOLDOWN_SECONDS", cast=int, default=60)
SMS_PHONE_DAILY_LIMIT: int = config("SMS_PHONE_DAILY_LIMIT", cast=int, default=10)
SMS_IP_HOURLY_LIMIT: int = config("SMS_IP_HOURLY_LIMIT", cast=int, default=30)
DEFAULT_PHONE_REGION: str = config("DEFAULT_PHONE_REGION", default="CN")
# Pluggable integrations: "console" / "memory" or a dotted path "package.module:Class".
SMS_SENDER: str = config("SMS_SENDER", default="console")
WECHAT_ADAPTER: str = config("WECHAT_ADAPTER", default="fake")
WECHAT_APP_ID: str = config("WECHAT_APP_ID", default="")
WECHAT_APP_SECRET: str = config("WECHAT_APP_SECRET", default="")

# Referral binding mode (ACC-4): SIGNUP, FIRST_ORDER or ADMIN_ONLY.
REFERRAL_BINDING_MODE: str = config("REFERRAL_BINDING_MODE", default="SIGNUP")

# GraphQL limits
MAX_PAGE_SIZE: int = config("MAX_PAGE_SIZE", cast=int, default=100)
MAX_QUERY_DEPTH: int = config("MAX_QUERY_DEPTH", cast=int, default=12)
MAX_ALIASES: int = config("MAX_ALIASES", cast=int, default=30)
MAX_TOKENS: int = config("MAX_TOKENS", cast=int, default=4000)
# Largest HTTP request body, query string or WebSocket message, in bytes (limits.py): larger is
# refused (413 REQUEST_TOO_LARGE; WebSocket close 1009) before anything parses it.
MAX_REQUEST_BYTES: int = config("MAX_REQUEST_BYTES", cast=int, default=1024 * 1024)
# Speed-ups written against graphql-core's and Strawberry's internals (schema/fast_paths). They
# turn themselves off, with a warning, on library versions they were not written for; false
# turns them off everywhere (same results, slower).
FAST_PATHS: bool = config("FAST_PATHS", cast=bool, default=True)
# Response cache for public storefront queries (schema/response_cache.py): on Redis when
# REDIS_URL is set (shared by every process), else in the process. Answers are forgotten at once
# when the catalog changes (prices, stock reaching or leaving zero, listing, content, merchants,
# stores); what changes without such an event (other stock counts, sales counts, schedules) shows
# within RESPONSE_CACHE_TTL seconds.
RESPONSE_CACHE: bool = config("RESPONSE_CACHE", cast=bool, default=True)
RESPONSE_CACHE_TTL: int = config("RESPONSE_CACHE_TTL", cast=int, default=30)

# Realtime
SUBSCRIBER_QUEUE_SIZE: int = config("SUBSCRIBER_QUEUE_SIZE", cast=int, default=1000)
# Live events a process holds while the broadcaster (Redis) is away; past it the oldest go
# (counted) and subscribers get a resync once it is back.
EVENT_OUTBOX_SIZE: int = config("EVENT_OUTBOX_SIZE", cast=int, default=10_000)
WS_KEEP_ALIVE_SECONDS: float = config("WS_KEEP_ALIVE_SECONDS", cast=float, default=15.0)
# MKT-3: the most updates per second a flash item's stock subscriber gets, however many sales.
FLASH_STOCK_UPDATES_PER_SECOND: float = config("FLASH_STOCK_UPDATES_PER_SECOND", cast=float, default=4.0)
# MKT-3 group buying: a team whose time ran out unfilled is REFUNDed (every member) or SUCCEEDs
# with the members who paid; a buyer joining a full team is REFUSEd or opens a NEW_TEAM.
GROUP_UNFILLED_POLICY: str = config("GROUP_UNFILLED_POLICY", default="REFUND")
GROUP_OVERFLOW_POLICY: str = config("GROUP_OVERFLOW_POLICY", default="REFUSE")
# Teams suggested to a new buyer: open ones with at most this many seats left.
GROUP_SUGGEST_SEATS_LEFT: int = config("GROUP_SUGGEST_SEATS_LEFT", cast=int, default=2)
# MKT-3 bargains: a new user's help (no paid order yet) takes this many of the bargain's cuts
# (1: new users cut like anyone); helpers matched by these signals (DEVICE, IP; comma-separated,
# empty: none) to the starter or an earlier helper of the same bargain count as that one.
BARGAIN_NEW_USER_CUTS: int = config("BARGAIN_NEW_USER_CUTS", cast=int, default=2)
BARGAIN_HELPER_MATCH: str = config("BARGAIN_HELPER_MATCH", default="DEVICE")

# Orders (ORD-1..8)
ORDER_PAY_TIMEOUT_MINUTES: int = config("ORDER_PAY_TIMEOUT_MINUTES", cast=int, default=30)
# Auto-complete: N days after delivery or pickup; a shipment never marked delivered completes later.
ORDER_AUTO_COMPLETE_DAYS: int = config("ORDER_AUTO_COMPLETE_DAYS", cast=int, default=7)
ORDER_SHIPPED_AUTO_COMPLETE_DAYS: int = config("ORDER_SHIPPED_AUTO_COMPLETE_DAYS", cast=int, default=15)
AFTER_SALES_WINDOW_DAYS: int = config("AFTER_SALES_WINDOW_DAYS", cast=int, default=7)
# MKT-4 / ORD-2: shopping coins at checkout. COINS_PER_UNIT coins pay COINS_FEN_PER_UNIT fen;
# coins pay at most COINS_LINE_CAP_BP of a line (after coupons) and COINS_ORDER_CAP_BP of a
# merchant order's goods, and at most COINS_ORDER_CAP_FEN fen of it (0: no such cap).
COINS_PER_UNIT: int = config("COINS_PER_UNIT", cast=int, default=1)
COINS_FEN_PER_UNIT: int = config("COINS_FEN_PER_UNIT", cast=int, default=1)
COINS_LINE_CAP_BP: int = config("COINS_LINE_CAP_BP", cast=int, default=10_000)
COINS_ORDER_CAP_BP: int = config("COINS_ORDER_CAP_BP", cast=int, default=5_000)
COINS_ORDER_CAP_FEN: int = config("COINS_ORDER_CAP_FEN", cast=int, default=0)
# MKT-4: coins and points not spent N months after they were credited expire, oldest first
# (the daily `expire_coins_and_points` job; 0: they never expire).
COINS_EXPIRE_MONTHS: int = config("COINS_EXPIRE_MONTHS", cast=int, default=0)
POINTS_EXPIRE_MONTHS: int = config("POINTS_EXPIRE_MONTHS", cast=int, default=0)
# MKT-4 points mall (积分快递费现金比例): a points order's shipping paid in points costs this many
# points per yuan of shipping (0: shipping is paid in cash only); whether points orders book
# commissions (off: the points mall earns none).
POINTS_SHIPPING_POINTS_PER_YUAN: int = config("POINTS_SHIPPING_POINTS_PER_YUAN", cast=int, default=100)
POINTS_ORDERS_EARN_COMMISSIONS: bool = config("POINTS_ORDERS_EARN_COMMISSIONS", cast=bool, default=False)
# MKT-1: when a refund gives the order's coupons back: WHOLE_ORDER_BEFORE_COMPLETION (every unit
# refunded before the order completed), WHOLE_ORDER (every unit, whenever) or NEVER.
COUPON_RETURN_POLICY: str = config("COUPON_RETURN_POLICY", default="WHOLE_ORDER_BEFORE_COMPLETION")
# MKT-1: an unused coupon's holder is told once (the EXPIRING event) when it has less than this left.
COUPON_EXPIRING_NOTICE_HOURS: int = config("COUPON_EXPIRING_NOTICE_HOURS", cast=int, default=24)
# In-store payment (STO-1): the largest amount one payment at a store may be (fen), and how many
# days after the payment store staff may still refund it.
STORE_PAYMENT_MAX_AMOUNT: int = config("STORE_PAYMENT_MAX_AMOUNT", cast=int, default=5_000_000)
STORE_REFUND_DAYS: int = config("STORE_REFUND_DAYS", cast=int, default=30)
# How long a cashier's payment request waits for the customer to pay it.
STORE_PAYMENT_REQUEST_MINUTES: int = config("STORE_PAYMENT_REQUEST_MINUTES", cast=int, default=10)
# Member cards (STO-2): the largest top-up (fen); whether a card's unused principal is refunded
MEMBER_CARD_MAX_TOP_UP: int = config("MEMBER_CARD_MAX_TOP_UP", cast=int, default=5_000_000)
MEMBER_CARD_REFUND_PRINCIPAL: bool = config("MEMBER_CARD_REFUND_PRINCIPAL", cast=bool, default=True)
# Punch cards (STO-3): minutes a one-time redemption code lives; whether unused uses are refunded pro rata
PUNCH_CARD_CODE_MINUTES: int = config("PUNCH_CARD_CODE_MINUTES", cast=int, default=5)
PUNCH_CARD_REFUND_UNUSED: bool = config("PUNCH_CARD_REFUND_UNUSED", cast=bool, default=True)
# Bookable services (STO-4) and store delivery (STO-5)
BOOKING_FREE_CANCEL_HOURS: int = config("BOOKING_FREE_CANCEL_HOURS", cast=int, default=2)
BOOKING_NO_SHOW_GRACE_MINUTES: int = config("BOOKING_NO_SHOW_GRACE_MINUTES", cast=int, default=30)
BOOKING_DAYS_AHEAD: int = config("BOOKING_DAYS_AHEAD", cast=int, default=30)
# "riders" (the store's own riders: staff move the statuses), "dev" (moves itself), or "module:Class"
STORE_DELIVERY_PROVIDER: str = config("STORE_DELIVERY_PROVIDER", default="riders")
CART_MAX_ITEMS: int = config("CART_MAX_ITEMS", cast=int, default=100)
CART_SHARE_TTL_DAYS: int = config("CART_SHARE_TTL_DAYS", cast=int, default=7)
# Payment gateway: "sandbox" (dev, tests) or "package.module:Class" (WeChat Pay, Alipay ...).
PAYMENT_GATEWAY: str = config("PAYMENT_GATEWAY", default="sandbox")
SANDBOX_GATEWAY_SECRET: str = config("SANDBOX_GATEWAY_SECRET", default="sandbox-" + SECRET_KEY)
# Where gateways send callbacks; the sandbox delivers them in-process when unset.
PUBLIC_BASE_URL: str = config("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# SMS / template messages: "log" (dev: logged and recorded), "memory" (tests) or "module:Class".
MESSAGE_SENDER: str = config("MESSAGE_SENDER", default="log")

# Consignment resale (CON-1..9)
# Business day for reports: hours east of UTC (China Standard Time: 8, no daylight saving).
BUSINESS_UTC_OFFSET_HOURS: int = config("BUSINESS_UTC_OFFSET_HOURS", cast=int, default=8)
VOUCHER_TTL_DAYS: int = config("VOUCHER_TTL_DAYS", cast=int, default=30)
CONSIGNMENT_FEE_BP: int = config("CONSIGNMENT_FEE_BP", cast=int, default=2000)  # 20 % of the retail price
CONSIGNMENT_REWARD_KIND: str = config("CONSIGNMENT_REWARD_KIND", default="FIXED")  # FIXED (fen) or PERCENT (bp)
CONSIGNMENT_REWARD_VALUE: int = config("CONSIGNMENT_REWARD_VALUE", cast=int, default=0)
# A retail buyer's purchase first takes a unit consigned by the buyer's direct upline.
CONSIGNMENT_REFERRER_PRIORITY: bool = config("CONSIGNMENT_REFERRER_PRIORITY", cast=bool, default=False)

# Distribution (DIS-1..4): defaults of the settings an admin edits (`updateDistributionSettings`),
# used until the first edit. Rules, level 1 first: FIXED:<fen per unit> or PERCENT:<basis points>.
DISTRIBUTION_LEVELS: int = config("DISTRIBUTION_LEVELS", cast=int, default=3)
DISTRIBUTION_RULES: str = config("DISTRIBUTION_RULES", default="PERCENT:0,PERCENT:0,PERCENT:0")
DISTRIBUTION_SELF_PURCHASE: bool = config("DISTRIBUTION_SELF_PURCHASE", cast=bool, default=False)
COMMISSION_FREEZE_DAYS: int = config("COMMISSION_FREEZE_DAYS", cast=int, default=AFTER_SALES_WINDOW_DAYS)

# Becoming a distributor (DIS-3): defaults until an admin edits them (`updateDistributorSettings`).
# Mode AUTO (everyone earns), THRESHOLD (apply; accepted on paid spending / paid orders) or APPROVAL (admin review).
DISTRIBUTOR_MODE: str = config("DISTRIBUTOR_MODE", default="AUTO")
DISTRIBUTOR_MIN_SPENT: int = config(
    "DISTRIBUTOR_MIN_SPENT", cast=int, default=0
)  # THRESHOLD: fen of paid spending, 0 = none
DISTRIBUTOR_MIN_PAID_ORDERS: int = config(
    "DISTRIBUTOR_MIN_PAID_ORDERS", cast=int, default=0
)  # THRESHOLD: paid orders, 0 = none
DISTRIBUTOR_THRESHOLD_MATCH: str = config(
    "DISTRIBUTOR_THRESHOLD_MATCH", default="ALL"
)  # both thresholds set: ALL or ANY
# Distributor centre (DIS-5): where a tracking link (/r/{code}) sends the visitor; {code} is the invite code.
STOREFRONT_SIGNUP_URL: str = config(
    "STOREFRONT_SIGNUP_URL", default=PUBLIC_BASE_URL.rstrip("/") + "/signup?inviteCode={code}"
)
# STO-1: the storefront page a store's payment QR code opens ({code}: the store's signed payment code).
STOREFRONT_STORE_PAY_URL: str = config(
    "STOREFRONT_STORE_PAY_URL", default=PUBLIC_BASE_URL.rstrip("/") + "/pay?storeCode={code}"
)
# The page a cashier's payment request's QR code opens; {code} is the request's signed code.
STOREFRONT_STORE_REQUEST_URL: str = config(
    "STOREFRONT_STORE_REQUEST_URL", default=PUBLIC_BASE_URL.rstrip("/") + "/pay?requestCode={code}"
)
# Share posters (MKT-5): the product page a tracked product link (/r/{code}?product={id}) sends the visitor
# to, and the flash item's page ({code}: the distributor's invite code, {id}: the global id).
STOREFRONT_PRODUCT_URL: str = config(
    "STOREFRONT_PRODUCT_URL", default=PUBLIC_BASE_URL.rstrip("/") + "/product?id={id}&inviteCode={code}"
)
STOREFRONT_FLASH_URL: str = config(
    "STOREFRONT_FLASH_URL", default=PUBLIC_BASE_URL.rstrip("/") + "/flash?id={id}&inviteCode={code}"
)
POSTER_FONT_PATH: str = config(
    "POSTER_FONT_PATH", default="/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
)  # a TrueType/OpenType font with Chinese glyphs (Debian: fonts-wqy-microhei)
POSTER_CACHE_DIR: str = config("POSTER_CACHE_DIR", default="var/posters")  # rendered posters, one PNG per key
POSTER_URL_TTL_SECONDS: int = config("POSTER_URL_TTL_SECONDS", cast=int, default=7 * 86400)  # a signed poster URL
POSTER_IMAGE_TIMEOUT_SECONDS: float = config("POSTER_IMAGE_TIMEOUT_SECONDS", cast=float, default=5.0)  # whole fetch
POSTER_IMAGE_MAX_BYTES: int = config("POSTER_IMAGE_MAX_BYTES", cast=int, default=5 * 1024 * 1024)  # one image
POSTER_IMAGE_MAX_PIXELS: int = config("POSTER_IMAGE_MAX_PIXELS", cast=int, default=25_000_000)  # decompression bombs
POSTER_IMAGE_CACHE_ITEMS: int = config("POSTER_IMAGE_CACHE_ITEMS", cast=int, default=256)  # fetched images kept
LEADERBOARD_MAX: int = config("LEADERBOARD_MAX", cast=int, default=100)  # longest leaderboard a query may ask for
# Withdrawals (FIN-3): amounts in fen; the fee is basis points of the amount, never below the minimum fee.
WITHDRAWAL_MIN_AMOUNT: int = config("WITHDRAWAL_MIN_AMOUNT", cast=int, default=1000)  # smallest request (10 yuan)
WITHDRAWAL_FEE_BP: int = config("WITHDRAWAL_FEE_BP", cast=int, default=700)  # 7 % service fee (flexible-employment tax)
WITHDRAWAL_MIN_FEE: int = config("WITHDRAWAL_MIN_FEE", cast=int, default=100)  # fee floor (1 yuan)
WITHDRAWAL_DAILY_COUNT: int = config(
    "WITHDRAWAL_DAILY_COUNT", cast=int, default=3
)  # requests per owner per business day
WITHDRAWAL_DAILY_AMOUNT: int = config(
    "WITHDRAWAL_DAILY_AMOUNT", cast=int, default=5_000_000
)  # fen per owner per business day
WITHDRAWAL_REQUIRE_IDENTITY: bool = config(
    "WITHDRAWAL_REQUIRE_IDENTITY", cast=bool, default=True
)  # users verify their real name first; the payee name must match it
# Payout channel an approval uses unless the admin names one: "manual" (bank transfer recorded by
# hand), "sandbox" (signed async callbacks at /payouts/notify/sandbox) or "package.module:Class".
PAYOUT_CHANNEL: str = config("PAYOUT_CHANNEL", default="manual")
SANDBOX_PAYOUT_SECRET: str = config("SANDBOX_PAYOUT_SECRET", default="sandbox-payout-" + SECRET_KEY)
# The sandbox payout channel's tools (the `sandboxPayoutResult` mutation, POST /payouts/notify/sandbox)
# also without PAYOUT_CHANNEL=sandbox or the sandbox gateway (a staging box trying SANDBOX payouts).
SANDBOX_PAYOUTS: bool = config("SANDBOX_PAYOUTS", cast=bool, default=False)
# Membership (MEM-1) and its RISK-1 switches: defaults of the settings an admin edits
# (`updateMembershipSettings`), used until the first edit.
MEMBERSHIP_PRICE: int = config("MEMBERSHIP_PRICE", cast=int, default=9900)  # fen per period
MEMBERSHIP_DAYS: int = config("MEMBERSHIP_DAYS", cast=int, default=365)  # days per period
MEMBER_REFERRAL_REWARD: int = config(
    "MEMBER_REFERRAL_REWARD", cast=int, default=0
)  # fen to the direct upline per sign-up; 0 = off
GIFT_PACK_COMMISSION: bool = config(
    "GIFT_PACK_COMMISSION", cast=bool, default=False
)  # gift packs in the commission base
# Grades (DIS-6): users re-evaluated per run of the grade job.
GRADE_JOB_BATCH: int = config("GRADE_JOB_BATCH", cast=int, default=500)
# Merchant settlement and finance reports (FIN-4, FIN-5)
SETTLEMENT_PERIOD_DAYS: int = config(
    "SETTLEMENT_PERIOD_DAYS", cast=int, default=7
)  # merchant statement period, business days from Monday 2024-01-01
SETTLEMENT_GRACE_MINUTES: int = config(
    "SETTLEMENT_GRACE_MINUTES", cast=int, default=10
)  # wait after a period ends before stating it (and after a day or hour, before reports fold it)
CSV_EXPORT_CHUNK_ROWS: int = config(
    "CSV_EXPORT_CHUNK_ROWS", cast=int, default=2000
)  # rows read per keyset page by the CSV exports
# Regional agents and franchise stores (MEM-2, MEM-3): defaults of the settings an admin edits
# (`updatePartnerSettings`), used until the first edit. Rates in basis points of the goods amount.
AGENT_RATE_PROVINCE_BP: int = config("AGENT_RATE_PROVINCE_BP", cast=int, default=100)  # province agent: 1 %
AGENT_RATE_CITY_BP: int = config("AGENT_RATE_CITY_BP", cast=int, default=200)  # city agent: 2 %
AGENT_RATE_COUNTY_BP: int = config("AGENT_RATE_COUNTY_BP", cast=int, default=300)  # county agent: 3 %
STORE_SHARE_BP: int = config("STORE_SHARE_BP", cast=int, default=500)  # store share of its members' orders (300-2000)
STORE_PICKUP_REWARD: int = config("STORE_PICKUP_REWARD", cast=int, default=200)  # fen per pickup a store handles

# Worker
WORKER_TICK_SECONDS: float = config("WORKER_TICK_SECONDS", cast=float, default=30.0)


def sandbox_payments() -> bool:
    """The sandbox gateway is configured: its pay page (/sandbox/pay/{trade_no}) and the
    `sandboxPay` mutation exist (development, tests); with a real gateway they do not."""
    return PAYMENT_GATEWAY == "sandbox"


def sandbox_payouts() -> bool:
    """The sandbox payout channel is configured: `sandboxPayoutResult` and its callback route
    exist. Development (the sandbox gateway) has it too; production (a real gateway, the
    manual or a real payout channel) has neither."""
    return SANDBOX_PAYOUTS or PAYOUT_CHANNEL == "sandbox" or PAYMENT_GATEWAY == "sandbox"


MODEL_MODULES = [
    "models.accounts",
    "models.access",
    "models.ledger",
    "models.notifications",
    "models.jobs",
    "models.merchants",
    "models.catalog",
    "models.content",
    "models.orders",
    "models.consignment",
    "models.grades",
    "models.distribution",
    "models.distributors",
    "models.withdrawals",
    "models.risk",
    "models.membership",
    "models.settlement",
    "models.agents",
    "models.marketing",
    "models.reports",
    "models.stores",
    "models.bookings",
    "models.deliveries",
]


async def _keep_session(connection) -> None:
    """asyncpg pool `reset` hook: send nothing when a connection goes back to the pool.

    asyncpg's default reset is one more round trip per release (`SELECT
    pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;`): about ten per
    place-and-pay order. This project leaves no session state behind: no LISTEN (live events
    go through Redis / memory), no SET of session settings, only transaction-scoped advisory
    locks (`pg_advisory_xact_lock`), no cursors outside transactions. The pool still rolls
    back a transaction left open (`Connection._reset()` runs before this hook), so a
    connection never goes back in a transaction.
    """


def tortoise_config(db_url: str | None = None) -> dict:
    url = db_url or DATABASE_URL
    if url.startswith("sqlite://") and ":memory:" not in url:
        Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
    connection: str | dict = url
    if url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        from tortoise.backends.base.config_generator import expand_db_url

        connection = expand_db_url(url)
        if connection["engine"] == "tortoise.backends.asyncpg":
            connection["credentials"]["reset"] = _keep_session
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


TORTOISE_ORM = tortoise_config()

IS_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://", "asyncpg://"))
IS_SQLITE = DATABASE_URL.startswith("sqlite://")
