"""What promotions (MKT-2), coupons (MKT-1) and the coins rule (MKT-4) are, as frozen
dataclasses, and the checks that refuse bad ones with stable codes. Pure: no database.

Amounts are fen, rates basis points OFF the price (1000 bp = 10 % off, "9折"). An offer's
funder is `PLATFORM` (None) or the id of the merchant who pays for it (MKT-6); a merchant's
offer only ever covers that merchant's own goods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from services.core.errors import DomainError, ErrorCode
from services.ledger.ledger import MAX_AMOUNT

BP = 10_000  # basis points in a whole
PLATFORM = None  # the funder of platform offers
MAX_TIERS = 10
MAX_UNITS = 10**7  # a quantity tier's units (services.catalog.limits.MAX_STOCK)

WHOLESALE = "WHOLESALE"
# The wholesale zone is bought with vouchers at the wholesale price: no offer applies there
# unless its scope says otherwise.
DEFAULT_EXCLUDED_ZONES = frozenset({WHOLESALE})


@dataclass(frozen=True)
class Scope:
    """Which lines an offer covers. Each non-empty inclusion must match (all of them: a
    merchant's coupon for one of its categories names both); any exclusion excludes.
    Categories include their subcategories: a line brings its category's ancestry."""

    category_ids: frozenset[int] = frozenset()
    product_ids: frozenset[int] = frozenset()
    merchant_ids: frozenset[int] = frozenset()
    zones: frozenset[str] = frozenset()
    excluded_category_ids: frozenset[int] = frozenset()
    excluded_product_ids: frozenset[int] = frozenset()
    excluded_zones: frozenset[str] = DEFAULT_EXCLUDED_ZONES

    def covers(self, merchant_id: int, product_id: int, zone: str, category_path: tuple[int, ...]) -> bool:
        if self.category_ids and self.category_ids.isdisjoint(category_path):
            return False
        if self.product_ids and product_id not in self.product_ids:
            return False
        if self.merchant_ids and merchant_id not in self.merchant_ids:
            return False
        if self.zones and zone not in self.zones:
            return False
        if zone in self.excluded_zones or product_id in self.excluded_product_ids:
            return False
        return self.excluded_category_ids.isdisjoint(category_path)


ALL = Scope()


def category_ancestry(path: str) -> tuple[int, ...]:
    """A line's category and its ancestors from `Category.path` ("/1/4/9/" -> (1, 4, 9))."""
    return tuple(int(part) for part in path.strip("/").split("/") if part)


# Promotion kinds (MKT-2)
FULL_REDUCTION = "FULL_REDUCTION"  # 满减: tiers (goods amount at least, fen off)
QUANTITY_DISCOUNT = "QUANTITY_DISCOUNT"  # 满件折: tiers (units at least, bp off)
LIMITED_PRICE = "LIMITED_PRICE"  # 限时折扣: a unit price per SKU or product
GIFT = "GIFT"  # 满赠: tiers (goods amount at least, a free gift line)
PROMOTION_KINDS = (FULL_REDUCTION, QUANTITY_DISCOUNT, LIMITED_PRICE, GIFT)


@dataclass(frozen=True)
class Gift:
    sku_id: int
    product_id: int
    merchant_id: int
    quantity: int
    unit_price: int  # its list price, recorded as the gift's value (paid 0)
    zone: str = "NORMAL"


@dataclass(frozen=True)
class Tier:
    threshold: int  # fen (FULL_REDUCTION, GIFT) or units (QUANTITY_DISCOUNT)
    value: int = 0  # fen off (FULL_REDUCTION) or bp off (QUANTITY_DISCOUNT)
    gift: Gift | None = None  # GIFT


@dataclass(frozen=True)
class Promotion:
    """Promotions run in priority order (higher first, then lower id). An exclusive one
    takes only lines no promotion has touched, and keeps every other promotion off the
    lines it takes."""

    id: int
    kind: str
    funder: int | None = PLATFORM
    scope: Scope = ALL
    tiers: tuple[Tier, ...] = ()
    sku_prices: Mapping[int, int] = field(default_factory=dict)  # LIMITED_PRICE: SKU id -> unit price
    product_prices: Mapping[int, int] = field(default_factory=dict)  # ... product id -> unit price
    priority: int = 0
    exclusive: bool = False


# Coupon kinds (MKT-1)
FIXED = "FIXED"  # fen off (an optional threshold)
PERCENT = "PERCENT"  # bp off, at most `cap` fen (0: no cap), an optional threshold
THRESHOLD = "THRESHOLD"  # 满X减Y: `amount` off when the covered goods reach `threshold`
FREE_SHIPPING = "FREE_SHIPPING"  # the shipping of the covered orders, at most `amount` (0: all of it)
COUPON_KINDS = (FIXED, PERCENT, THRESHOLD, FREE_SHIPPING)


@dataclass(frozen=True)
class Coupon:
    """A coupon the buyer holds (`id` is the user's coupon, `template_id` what it was
    claimed from). One platform coupon per checkout and one merchant coupon per merchant
    order, of goods and of shipping each, unless the template stacks."""

    id: int
    kind: str
    funder: int | None = PLATFORM
    amount: int = 0
    rate_bp: int = 0
    cap: int = 0
    threshold: int = 0
    scope: Scope = ALL
    stacks: bool = False
    template_id: int = 0

    @property
    def shipping(self) -> bool:
        return self.kind == FREE_SHIPPING


@dataclass(frozen=True)
class CoinRule:
    """Shopping coins (MKT-4), applied last: every `coins_per_unit` coins pay
    `fen_per_unit` fen. A line's share is at most its product's cap (`Line.coins_cap_bp`,
    else `line_cap_bp`) of what is left after coupons, a merchant order's at most
    `order_cap_bp` of its goods and `order_cap_fen` (0: no such cap)."""

    coins_per_unit: int = 1
    fen_per_unit: int = 1
    line_cap_bp: int = BP
    order_cap_bp: int = BP
    order_cap_fen: int = 0
    zones: frozenset[str] = frozenset()  # where coins pay (empty: every zone not excluded)
    excluded_zones: frozenset[str] = DEFAULT_EXCLUDED_ZONES


NO_COINS = CoinRule(line_cap_bp=0)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fen(value, field_name: str, *, low: int = 0) -> int:
    if not _is_int(value) or not low <= value <= MAX_AMOUNT:
        raise DomainError(ErrorCode.INVALID_AMOUNT, f"An amount here is {low} fen or more.", field_name)
    return value


def _bp(value, field_name: str, *, low: int = 0) -> int:
    if not _is_int(value) or not low <= value <= BP:
        raise DomainError(ErrorCode.INVALID_RATE, "A percentage is 0 to 100 % (10000 basis points).", field_name)
    return value


def _own_scope(funder: int | None, scope: Scope, field_name: str) -> None:
    if funder is not PLATFORM and scope.merchant_ids - {funder}:
        raise DomainError(ErrorCode.FORBIDDEN, "A merchant's offer covers only its own goods.", field_name)


def check_scope(scope: Scope, field_name: str = "scope") -> Scope:
    for ids in (
        scope.category_ids,
        scope.product_ids,
        scope.merchant_ids,
        scope.excluded_category_ids,
        scope.excluded_product_ids,
    ):
        if any(not _is_int(i) or i <= 0 for i in ids):
            raise DomainError(ErrorCode.INVALID_INPUT, "A scope names ids.", field_name)
    return scope


def check_promotion(p: Promotion) -> Promotion:
    """Raise a DomainError (INVALID_INPUT, INVALID_AMOUNT, INVALID_RATE, FORBIDDEN) or
    return the promotion."""
    if p.kind not in PROMOTION_KINDS:
        raise DomainError(ErrorCode.INVALID_INPUT, "Unknown promotion kind.", "kind")
    check_scope(p.scope)
    _own_scope(p.funder, p.scope, "scope")
    if not _is_int(p.priority):
        raise DomainError(ErrorCode.INVALID_INPUT, "A priority is a whole number.", "priority")
    if p.kind == LIMITED_PRICE:
        if p.tiers or not (p.sku_prices or p.product_prices):
            raise DomainError(ErrorCode.INVALID_INPUT, "A limited-time price names SKU or product prices.", "prices")
        for price in (*p.sku_prices.values(), *p.product_prices.values()):
            _fen(price, "prices")
        return p
    if p.sku_prices or p.product_prices:
        raise DomainError(ErrorCode.INVALID_INPUT, "Only a limited-time price has prices.", "prices")
    if not 1 <= len(p.tiers) <= MAX_TIERS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"1 to {MAX_TIERS} tiers.", "tiers")
    previous = None
    for tier in p.tiers:
        if p.kind == QUANTITY_DISCOUNT:
            if not _is_int(tier.threshold) or not 1 <= tier.threshold <= MAX_UNITS:
                raise DomainError(ErrorCode.INVALID_INPUT, "A quantity tier starts at 1 unit or more.", "tiers")
            _bp(tier.value, "tiers", low=1)
        else:
            _fen(tier.threshold, "tiers", low=1)
        if p.kind == FULL_REDUCTION:
            _fen(tier.value, "tiers", low=1)
            if tier.value > tier.threshold:
                raise DomainError(ErrorCode.INVALID_AMOUNT, "A reduction is at most its threshold.", "tiers")
        if p.kind == GIFT:
            gift = tier.gift
            if gift is None or not _is_int(gift.quantity) or not 1 <= gift.quantity <= MAX_UNITS:
                raise DomainError(ErrorCode.INVALID_INPUT, "A gift tier names a gift of 1 unit or more.", "tiers")
            _fen(gift.unit_price, "tiers")
            if p.funder is not PLATFORM and gift.merchant_id != p.funder:
                raise DomainError(ErrorCode.FORBIDDEN, "A merchant gives only its own goods.", "tiers")
        elif tier.gift is not None:
            raise DomainError(ErrorCode.INVALID_INPUT, "Only a gift promotion gives gifts.", "tiers")
        if previous is not None and tier.threshold <= previous.threshold:
            raise DomainError(ErrorCode.INVALID_INPUT, "Tiers go up: each threshold above the last.", "tiers")
        previous = tier
    return p


def check_coupon(c: Coupon) -> Coupon:
    """Raise a DomainError (INVALID_INPUT, INVALID_AMOUNT, INVALID_RATE, FORBIDDEN) or
    return the coupon."""
    if c.kind not in COUPON_KINDS:
        raise DomainError(ErrorCode.INVALID_INPUT, "Unknown coupon kind.", "kind")
    check_scope(c.scope)
    _own_scope(c.funder, c.scope, "scope")
    _fen(c.threshold, "threshold")
    _fen(c.cap, "cap")
    if c.kind == PERCENT:
        _bp(c.rate_bp, "rateBp", low=1)
        if c.amount:
            raise DomainError(ErrorCode.INVALID_INPUT, "A percentage coupon has a rate, not an amount.", "amount")
        return c
    if c.rate_bp or c.cap:
        raise DomainError(ErrorCode.INVALID_INPUT, "Only a percentage coupon has a rate and a cap.", "rateBp")
    if c.kind == FREE_SHIPPING:
        _fen(c.amount, "amount")
        return c
    _fen(c.amount, "amount", low=1)
    if c.kind == THRESHOLD:
        if c.threshold < c.amount:
            raise DomainError(
                ErrorCode.INVALID_AMOUNT, "满X减Y: the threshold is at least the amount off.", "threshold"
            )
    return c


def check_coin_rule(rule: CoinRule) -> CoinRule:
    for value, name in ((rule.coins_per_unit, "coinsPerUnit"), (rule.fen_per_unit, "fenPerUnit")):
        if not _is_int(value) or not 1 <= value <= MAX_AMOUNT:
            raise DomainError(ErrorCode.INVALID_RATE, "An exchange rate is whole coins for whole fen.", name)
    _bp(rule.line_cap_bp, "lineCapBp")
    _bp(rule.order_cap_bp, "orderCapBp")
    _fen(rule.order_cap_fen, "orderCapFen")
    return rule
