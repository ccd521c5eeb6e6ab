"""Risk rule kinds and their parameters (RISK-2): pure validation, no database.

Each kind has a parameter schema: name -> (type, default, check). `validate(kind, params)`
returns the parameters completed with defaults, or raises UNKNOWN_RISK_RULE_KIND /
INVALID_RISK_PARAMS (unknown names, wrong types, out-of-range values).

Kinds (what services.risk.control evaluates):
- SELF_PURCHASE: on payment, a beneficiary of the order's commissions looks like the buyer:
  `signals` among SAME_USER (the buyer earns on their own purchase: only possible with the
  self-purchase setting on, so off by default), DEVICE (the order's device id was seen on the
  beneficiary's own orders), PHONE (the buyer's phone or the order's delivery phone is the
  beneficiary's phone or one of their address phones), WECHAT (the same WeChat union id),
  IP (the order's IP was seen on the beneficiary's orders or sign-ins: off by default,
  mobile carriers put many people behind one address). Looks back `lookback_days`.
- DEVICE_CLUSTER: on payment, at least `min_accounts` accounts with the same upline placed
  orders from the order's device id (or IP, per `match`) within `window_minutes`.
- ORDER_VELOCITY: on payment, more than `max_orders` paid orders within `window_minutes` by
  one buyer (`per` BUYER) or earning one direct upline level-1 commissions (`per` UPLINE).
- REFUND_AFTER_COMMISSION: on a refund, the buyer's refunds of lines whose commissions were
  already booked number more than `max_refunds` within `window_days`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.core.errors import DomainError, ErrorCode

SELF_PURCHASE = "SELF_PURCHASE"
DEVICE_CLUSTER = "DEVICE_CLUSTER"
ORDER_VELOCITY = "ORDER_VELOCITY"
REFUND_AFTER_COMMISSION = "REFUND_AFTER_COMMISSION"
KINDS = (SELF_PURCHASE, DEVICE_CLUSTER, ORDER_VELOCITY, REFUND_AFTER_COMMISSION)

SIGNALS = ("SAME_USER", "DEVICE", "PHONE", "WECHAT", "IP")
MATCHES = ("DEVICE", "IP")
PER = ("BUYER", "UPLINE")


def _int(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _subset(allowed: tuple[str, ...]) -> Callable[[Any], bool]:
    return lambda v: (
        isinstance(v, list)
        and len(v) >= 1
        and all(isinstance(x, str) and x in allowed for x in v)
        and len(set(v)) == len(v)
    )


# kind -> {name: (default, check, what the check wants)}
SCHEMAS: dict[str, dict[str, tuple[Any, Callable[[Any], bool], str]]] = {
    SELF_PURCHASE: {
        "signals": (["DEVICE", "PHONE", "WECHAT"], _subset(SIGNALS), f"a non-empty list of {', '.join(SIGNALS)}"),
        "lookback_days": (90, _int(1, 3650), "days, 1 to 3650"),
    },
    DEVICE_CLUSTER: {
        "min_accounts": (3, _int(2, 1000), "accounts, 2 to 1000"),
        "window_minutes": (1440, _int(1, 525_600), "minutes, 1 to 525600"),
        "match": (["DEVICE"], _subset(MATCHES), f"a non-empty list of {', '.join(MATCHES)}"),
    },
    ORDER_VELOCITY: {
        "max_orders": (10, _int(1, 100_000), "orders, 1 to 100000"),
        "window_minutes": (60, _int(1, 525_600), "minutes, 1 to 525600"),
        "per": (["BUYER", "UPLINE"], _subset(PER), f"a non-empty list of {', '.join(PER)}"),
    },
    REFUND_AFTER_COMMISSION: {
        "max_refunds": (3, _int(0, 100_000), "refunds, 0 to 100000"),
        "window_days": (30, _int(1, 3650), "days, 1 to 3650"),
    },
}

DESCRIPTIONS = {
    SELF_PURCHASE: "Commission to someone who looks like the buyer (same device, phone or WeChat).",
    DEVICE_CLUSTER: "Several accounts under one upline ordering from one device within a day.",
    ORDER_VELOCITY: "More paid orders than usual by one buyer, or to one upline, within an hour.",
    REFUND_AFTER_COMMISSION: "A buyer who keeps refunding orders after commissions were booked.",
}


def validate(kind: str, params: dict | None) -> dict:
    """The parameters completed with the kind's defaults; refuses what does not fit."""
    if kind not in SCHEMAS:
        raise DomainError(
            ErrorCode.UNKNOWN_RISK_RULE_KIND, f"Unknown rule kind {kind!r}; one of {', '.join(KINDS)}.", "kind"
        )
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise DomainError(ErrorCode.INVALID_RISK_PARAMS, "Parameters are a JSON object.", "params")
    schema = SCHEMAS[kind]
    unknown = sorted(set(params) - set(schema))
    if unknown:
        raise DomainError(
            ErrorCode.INVALID_RISK_PARAMS,
            f"Unknown parameter(s) {', '.join(unknown)} for {kind}; known: {', '.join(schema)}.",
            "params",
        )
    out = {}
    for name, (default, check, wants) in schema.items():
        value = params.get(name, default)
        if not check(value):
            raise DomainError(ErrorCode.INVALID_RISK_PARAMS, f"{kind}.{name} must be {wants}.", "params")
        out[name] = list(value) if isinstance(value, list) else value
    return out


def defaults() -> list[tuple[str, dict, str]]:
    """The rules installed by default: (kind, parameters, description), one per kind."""
    return [(kind, validate(kind, {}), DESCRIPTIONS[kind]) for kind in KINDS]
