"""The pricing pipeline (MKT-1/2/4/6, ORD-2): one pure function from a cart to what every
line and every merchant order pays, exact to the fen. No database here; the checkout
loads the data and hands it in (tests/unit/test_marketing_pipeline.py).

Per line, in this order:
  1. list price;
  2. member price (a member buying a SKU that has one);
  3. activity price, a value the caller hands in (the wholesale price, a flash sale ...).
     A price step never raises the price: each takes the lower of the two;
  4. promotions (`offers.Promotion`), in priority order;
  5. coupons: each merchant's own first, then the platform's (their thresholds count what
     is left after the merchant coupons); free-shipping coupons waive shipping, kept apart
     from the goods, their thresholds counted on the goods after promotions;
  6. shopping coins, last, within the product's, the order's and the buyer's limits;
  7. what is left is paid.
Shipping per merchant order is `shipping.shipping_fee` of its goods after promotions.

Every order-level amount (a 满减 reduction, a coupon, the coins) is split over the lines it
covers by largest remainder in proportion to what each line still costs
(`services.core.money.allocate`): the parts sum to the whole, no line goes below zero, and
ties go to the earlier line (the caller's order, then gifts). Each line keeps every part:
its source (PROMOTION, COUPON, COINS) and id, and its funder (the platform or a merchant).

Coupons: by default the best choice is made (the largest total discount; on a tie the fewer
coupons, then the lower ids): every combination of one coupon (or none) per slot is tried
(slots: the platform's goods and shipping, each merchant's goods and shipping), with every
stacking coupon on top; past `MAX_COMBINATIONS` each merchant's slots are chosen on their
own first. A caller naming the coupons gets them or a coded refusal.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from services.core.errors import DomainError, ErrorCode
from services.core.money import allocate
from services.ledger.ledger import MAX_AMOUNT
from services.marketing import offers
from services.marketing.offers import BP, PLATFORM, CoinRule, Coupon, Promotion
from services.marketing.shipping import NO_SHIPPING, ShippingTemplate, shipping_fee

PROMOTION = "PROMOTION"
COUPON = "COUPON"
COINS = "COINS"
MAX_COMBINATIONS = 512  # coupon combinations tried exhaustively
MAX_LINES = 200  # lines priced at once (gifts included)
MAX_QUANTITY = 10**7


@dataclass(frozen=True)
class Line:
    """One cart line as the checkout loaded it; unit prices in fen."""

    key: str
    merchant_id: int
    product_id: int
    sku_id: int
    quantity: int
    list_price: int
    member_price: int | None = None
    activity_price: int | None = None
    zone: str = "NORMAL"
    category_path: tuple[int, ...] = ()  # the category and its ancestors (any order)
    coins_cap_bp: int | None = None  # the product's coins cap; None: CoinRule.line_cap_bp


@dataclass(frozen=True)
class Part:
    """One discount on a line or an order's shipping."""

    source: str  # PROMOTION / COUPON / COINS
    source_id: int | None  # the promotion's or the user coupon's id; None for coins
    funder: int | None  # PLATFORM (None) or the merchant's id
    amount: int


@dataclass(frozen=True)
class PricedLine:
    key: str
    merchant_id: int
    product_id: int
    sku_id: int
    quantity: int
    zone: str
    gift: bool  # a free line added by a gift promotion
    list_amount: int
    member_discount: int  # list -> member price
    activity_discount: int  # -> activity price
    discounts: tuple[Part, ...]  # promotions, coupons, coins, in the order applied
    coins: int  # coins used
    paid: int  # cash for the goods: list - the price steps - every part

    @property
    def goods_amount(self) -> int:
        """The line at its price (after member and activity price), before any discount."""
        return self.list_amount - self.member_discount - self.activity_discount

    @property
    def commission_base(self) -> int:
        """DIS-2: the goods amount actually paid (after discounts and coins)."""
        return self.paid

    def discount(self, source: str | None = None) -> int:
        return sum(p.amount for p in self.discounts if source is None or p.source == source)

    def funded_by(self, funder: int | None) -> int:
        return sum(p.amount for p in self.discounts if p.funder == funder)


@dataclass(frozen=True)
class PricedOrder:
    """One merchant's order: its goods and its shipping, apart."""

    merchant_id: int
    line_keys: tuple[str, ...]
    goods_amount: int  # lines at their price, before discounts
    goods_paid: int
    shipping_fee: int
    shipping_discounts: tuple[Part, ...]

    @property
    def shipping_paid(self) -> int:
        return self.shipping_fee - sum(p.amount for p in self.shipping_discounts)

    @property
    def paid(self) -> int:
        return self.goods_paid + self.shipping_paid


@dataclass(frozen=True)
class AppliedPromotion:
    id: int
    funder: int | None
    amount: int  # goods discount (a gift's value included)
    gift_key: str | None = None


@dataclass(frozen=True)
class AppliedCoupon:
    id: int
    template_id: int
    funder: int | None
    goods_amount: int
    shipping_amount: int
    line_keys: tuple[str, ...]  # lines it discounted, or whose orders' shipping it waived


@dataclass(frozen=True)
class Quote:
    lines: tuple[PricedLine, ...]
    orders: tuple[PricedOrder, ...]
    promotions: tuple[AppliedPromotion, ...]
    coupons: tuple[AppliedCoupon, ...]
    coins: int  # coins used
    coins_cap: int  # the most coins this cart could use (within the buyer's balance)

    @property
    def paid(self) -> int:
        return sum(o.paid for o in self.orders)

    def line(self, key: str) -> PricedLine:
        return next(line for line in self.lines if line.key == key)

    def order(self, merchant_id: int) -> PricedOrder:
        return next(o for o in self.orders if o.merchant_id == merchant_id)


class _Work:
    """A line while it is being priced (mutable inside this module only)."""

    __slots__ = (
        "line",
        "gift",
        "amount",
        "parts",
        "promoted",
        "locked",
        "member_discount",
        "activity_discount",
        "coins",
    )

    def __init__(self, line: Line, unit: int, member_discount: int, activity_discount: int, gift: bool = False):
        self.line = line
        self.gift = gift
        self.amount = unit * line.quantity
        self.member_discount = member_discount
        self.activity_discount = activity_discount
        self.parts: list[Part] = []
        self.promoted = False
        self.locked = False
        self.coins = 0

    def take(self, part: Part) -> None:
        if part.amount:
            self.parts.append(part)
            self.amount -= part.amount


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _price(value, field_name: str, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not _is_int(value) or not 0 <= value <= MAX_AMOUNT:
        raise DomainError(ErrorCode.INVALID_PRICE, "Prices are 0 fen or more.", field_name)


def _check_lines(lines: Sequence[Line]) -> None:
    if not lines:
        raise DomainError(ErrorCode.CART_EMPTY, "Nothing to price.", "items")
    if len(lines) > MAX_LINES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_LINES} lines.", "items")
    if len({line.key for line in lines}) != len(lines):
        raise DomainError(ErrorCode.INVALID_INPUT, "Two lines have one key.", "items")
    for line in lines:
        if not _is_int(line.quantity) or not 1 <= line.quantity <= MAX_QUANTITY:
            raise DomainError(ErrorCode.INVALID_QUANTITY, "Quantities are whole numbers of at least 1.", "items")
        _price(line.list_price, "items")
        _price(line.member_price, "items", optional=True)
        _price(line.activity_price, "items", optional=True)
        if line.list_price * line.quantity > MAX_AMOUNT:
            raise DomainError(ErrorCode.INVALID_AMOUNT, "That line is out of range.", "items")
        if line.coins_cap_bp is not None and (not _is_int(line.coins_cap_bp) or not 0 <= line.coins_cap_bp <= BP):
            raise DomainError(ErrorCode.INVALID_RATE, "A coins cap is 0 to 100 %.", "items")


def _price_steps(line: Line, is_member: bool) -> _Work:
    unit = line.list_price
    member = min(unit, line.member_price) if is_member and line.member_price is not None else unit
    activity = min(member, line.activity_price) if line.activity_price is not None else member
    return _Work(line, activity, (unit - member) * line.quantity, (member - activity) * line.quantity)


def _covers(funder: int | None, scope: offers.Scope, w: _Work) -> bool:
    line = w.line
    if w.gift or (funder is not PLATFORM and line.merchant_id != funder):
        return False
    return scope.covers(line.merchant_id, line.product_id, line.zone, line.category_path)


def _split(total: int, targets: list[_Work], p: Promotion) -> None:
    """Allocate a promotion's `total` over `targets` by what each still costs."""
    weights = [w.amount for w in targets]
    for w, amount in zip(targets, allocate(total, weights)):
        w.take(Part(PROMOTION, p.id, p.funder, amount))


def _best_tier(tiers, reached: int):
    met = [t for t in tiers if t.threshold <= reached]
    return met[-1] if met else None  # tiers go up (offers.check_promotion)


def _gift_work(p: Promotion, gift: offers.Gift) -> _Work:
    line = Line(
        key=f"gift:{p.id}",
        merchant_id=gift.merchant_id,
        product_id=gift.product_id,
        sku_id=gift.sku_id,
        quantity=gift.quantity,
        list_price=gift.unit_price,
        zone=gift.zone,
    )
    w = _Work(line, gift.unit_price, 0, 0, gift=True)
    w.take(Part(PROMOTION, p.id, p.funder, w.amount))
    return w


def _run_promotions(work: list[_Work], promotions: Sequence[Promotion]) -> list[AppliedPromotion]:
    applied = []
    for p in sorted(promotions, key=lambda p: (-p.priority, p.id)):
        eligible = [
            w for w in work if _covers(p.funder, p.scope, w) and not w.locked and not (p.exclusive and w.promoted)
        ]
        subtotal = sum(w.amount for w in eligible)
        touched: list[_Work] = []
        gift_key = None
        amount = 0
        if p.kind == offers.LIMITED_PRICE:
            for w in eligible:
                price = p.sku_prices.get(w.line.sku_id, p.product_prices.get(w.line.product_id))
                if price is not None and price * w.line.quantity < w.amount:
                    off = w.amount - price * w.line.quantity
                    w.take(Part(PROMOTION, p.id, p.funder, off))
                    amount += off
                    touched.append(w)
        elif p.kind == offers.FULL_REDUCTION:
            tier = _best_tier(p.tiers, subtotal) if subtotal else None
            if tier is not None:
                amount = min(tier.value, subtotal)
                _split(amount, eligible, p)
                touched = eligible
        elif p.kind == offers.QUANTITY_DISCOUNT:
            tier = _best_tier(p.tiers, sum(w.line.quantity for w in eligible)) if subtotal else None
            if tier is not None:
                amount = subtotal * tier.value // BP
                if amount:
                    _split(amount, eligible, p)
                touched = eligible
        elif p.kind == offers.GIFT:
            tier = _best_tier(p.tiers, subtotal) if subtotal else None
            if tier is not None:
                gift = _gift_work(p, tier.gift)
                work.append(gift)
                gift_key = gift.line.key
                amount = gift.line.list_price * gift.line.quantity
                touched = eligible
        for w in touched:
            w.promoted = True
            w.locked = w.locked or p.exclusive
        if touched:
            applied.append(AppliedPromotion(p.id, p.funder, amount, gift_key))
    return applied


# -- coupons ---------------------------------------------------------------------------

NOT_APPLICABLE = "NOT_APPLICABLE"
BELOW_THRESHOLD = "BELOW_THRESHOLD"


@dataclass(frozen=True)
class _Effect:
    coupon: Coupon
    goods: Mapping[int, int]  # work index -> fen off
    shipping: Mapping[int, int]  # merchant id -> fen of shipping waived


def _goods_effect(c: Coupon, work: list[_Work], amounts: list[int]) -> _Effect | str:
    covered = [i for i, w in enumerate(work) if _covers(c.funder, c.scope, w)]
    base = sum(amounts[i] for i in covered)
    if base == 0:
        return NOT_APPLICABLE
    if base < c.threshold:
        return BELOW_THRESHOLD
    if c.kind == offers.PERCENT:
        off = base * c.rate_bp // BP
        off = min(off, c.cap) if c.cap else off
    else:
        off = min(c.amount, base)
    if off == 0:
        return NOT_APPLICABLE
    parts = allocate(off, [amounts[i] for i in covered])
    return _Effect(c, {i: a for i, a in zip(covered, parts) if a}, {})


def _shipping_effect(c: Coupon, work: list[_Work], goods: list[int], left: Mapping[int, int]) -> _Effect | str:
    covered = [i for i, w in enumerate(work) if _covers(c.funder, c.scope, w)]
    merchants = [m for m in dict.fromkeys(work[i].line.merchant_id for i in covered) if left[m] > 0]
    if not merchants:
        return NOT_APPLICABLE
    if sum(goods[i] for i in covered) < c.threshold:
        return BELOW_THRESHOLD
    total = sum(left[m] for m in merchants)
    off = min(c.amount, total) if c.amount else total
    parts = allocate(off, [left[m] for m in merchants])
    return _Effect(c, {}, {m: a for m, a in zip(merchants, parts) if a})


def _apply_order(merchant_order: Mapping[int, int]):
    """Merchant coupons first (merchants in cart order, the slot's coupon before stacking
    ones), then the platform's; goods before shipping."""

    def key(c: Coupon):
        platform = c.funder is PLATFORM
        return (c.shipping, platform, 0 if platform else merchant_order.get(c.funder, 0), c.stacks, c.id)

    return key


def _simulate(coupons: Sequence[Coupon], work: list[_Work], fees: Mapping[int, int], strict: bool):
    """Apply `coupons` (already in application order) to the goods and shipping left after
    promotions. Returns the effects and the total off; in strict mode a coupon that does
    not apply raises, otherwise it is skipped."""
    amounts = [w.amount for w in work]
    goods_after_promotions = list(amounts)
    left = dict(fees)
    effects = []
    for c in coupons:
        effect = (
            _shipping_effect(c, work, goods_after_promotions, left) if c.shipping else _goods_effect(c, work, amounts)
        )
        if isinstance(effect, str):
            if strict:
                if effect == BELOW_THRESHOLD:
                    raise DomainError(
                        ErrorCode.THRESHOLD_NOT_MET, "The covered goods do not reach the threshold.", "couponIds"
                    )
                raise DomainError(ErrorCode.COUPON_NOT_APPLICABLE, "That coupon covers nothing here.", "couponIds")
            continue
        for i, a in effect.goods.items():
            amounts[i] -= a
        for m, a in effect.shipping.items():
            left[m] -= a
        effects.append(effect)
    total = sum(sum(e.goods.values()) + sum(e.shipping.values()) for e in effects)
    return effects, total


def _slot(c: Coupon) -> tuple[bool, int | None]:
    return (c.shipping, c.funder)


def _chosen(coupons: Sequence[Coupon], chosen: Sequence[int]) -> list[Coupon]:
    by_id = {c.id: c for c in coupons}
    if len(set(chosen)) != len(chosen):
        raise DomainError(ErrorCode.INVALID_INPUT, "A coupon is named twice.", "couponIds")
    picked = []
    for coupon_id in chosen:
        if coupon_id not in by_id:
            raise DomainError(ErrorCode.NOT_FOUND, "No such coupon to use.", "couponIds")
        picked.append(by_id[coupon_id])
    slots: dict[tuple, int] = {}
    for c in picked:
        if not c.stacks:
            slots[_slot(c)] = slots.get(_slot(c), 0) + 1
            if slots[_slot(c)] > 1:
                raise DomainError(
                    ErrorCode.EXCLUSIVE_DISCOUNTS,
                    "One platform coupon per checkout and one merchant coupon per order (of goods, of shipping).",
                    "couponIds",
                )
    return picked


def _best(coupons: Sequence[Coupon], work: list[_Work], fees: Mapping[int, int], order_key) -> list[_Effect]:
    """The coupons giving the largest total discount (see the module's docstring)."""
    merchants = set(fees)
    usable = sorted((c for c in coupons if c.funder is PLATFORM or c.funder in merchants), key=order_key)
    # A slot: the options for one choice. Coupons that do not stack share their slot
    # (one of them or none); a stacking coupon is a slot of its own (in or out: on top of
    # others it can still push a later coupon below its threshold).
    slots: dict[tuple, list[Coupon | None]] = {}
    seen: set[Coupon] = set()
    for c in usable:
        if not c.stacks:
            # Coupons of the same terms (several of one template) are interchangeable in a
            # slot that takes one: the first (the lowest id) stands for them all.
            terms = replace(c, id=0)
            if terms in seen:
                continue
            seen.add(terms)
        slots.setdefault((_slot(c), c.id if c.stacks else None), [None]).append(c)

    def run(choice: Sequence[Coupon | None]):
        picked = sorted((c for c in choice if c is not None), key=order_key)
        effects, total = _simulate(picked, work, fees, strict=False)
        ids = sorted(e.coupon.id for e in effects)
        return (-total, len(ids), ids), effects

    def combinations(options: list[list[Coupon | None]]) -> int:
        count = 1
        for o in options:
            count *= len(o)
        return count

    keys = list(slots)
    options = [slots[k] for k in keys]
    if combinations(options) > MAX_COMBINATIONS:
        # Each merchant slot on its own first (the others left empty), then every
        # combination of the platform's on top of those choices ...
        options = [o if k[0][1] is PLATFORM else [min(o, key=lambda c: run([c])[0])] for k, o in zip(keys, options)]
        if combinations(options) > MAX_COMBINATIONS:
            # ... and past that, the platform's stacking coupons all in.
            options = [[o[-1]] if k[1] is not None and k[0][1] is PLATFORM else o for k, o in zip(keys, options)]
    return min((run(choice) for choice in itertools.product(*options)), key=lambda r: r[0])[1]


# -- coins -------------------------------------------------------------------------------


def _coin_caps(work: list[_Work], rule: CoinRule) -> tuple[dict[int, list[int]], dict[int, int]]:
    """Per merchant: each line's cap in exchange units, and the order's cap in units."""
    lines: dict[int, list[int]] = {}
    orders: dict[int, int] = {}
    goods: dict[int, int] = {}
    for w in work:
        m = w.line.merchant_id
        goods[m] = goods.get(m, 0) + w.amount
        lines.setdefault(m, [])
        zone = w.line.zone
        allowed = not w.gift and zone not in rule.excluded_zones and (not rule.zones or zone in rule.zones)
        cap_bp = rule.line_cap_bp if w.line.coins_cap_bp is None else w.line.coins_cap_bp
        lines[m].append((w.amount * cap_bp // BP) // rule.fen_per_unit if allowed else 0)
    for m, caps in lines.items():
        fen = goods[m] * rule.order_cap_bp // BP
        if rule.order_cap_fen:
            fen = min(fen, rule.order_cap_fen)
        orders[m] = min(sum(caps), fen // rule.fen_per_unit)
    return lines, orders


def _spend_coins(work: list[_Work], rule: CoinRule, coins: int, balance: int) -> int:
    """Check the request, split it over orders then lines within their caps; return the cap."""
    line_caps, order_caps = _coin_caps(work, rule)
    units_cap = min(sum(order_caps.values()), balance // rule.coins_per_unit)
    if not _is_int(coins) or coins < 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "Coins are 0 or more.", "coins")
    if coins % rule.coins_per_unit:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"Coins are used {rule.coins_per_unit} at a time (the exchange rate).", "coins"
        )
    if coins > balance:
        raise DomainError(ErrorCode.INSUFFICIENT_FUNDS, "Not that many coins in the wallet.", "coins")
    units = coins // rule.coins_per_unit
    if units > units_cap:
        raise DomainError(
            ErrorCode.COINS_OVER_CAP, f"At most {units_cap * rule.coins_per_unit} coins on this order.", "coins"
        )
    if units:
        merchants = list(order_caps)
        by_merchant = {m: [i for i, w in enumerate(work) if w.line.merchant_id == m] for m in merchants}
        for m, share in zip(merchants, allocate(units, [order_caps[m] for m in merchants])):
            if share:
                for i, u in zip(by_merchant[m], allocate(share, line_caps[m])):
                    if u:
                        work[i].take(Part(COINS, None, PLATFORM, u * rule.fen_per_unit))
                        work[i].coins = u * rule.coins_per_unit
    return units_cap * rule.coins_per_unit


# -- the pipeline ------------------------------------------------------------------------


def price_cart(
    lines: Sequence[Line],
    *,
    is_member: bool = False,
    promotions: Sequence[Promotion] = (),
    coupons: Sequence[Coupon] = (),
    chosen: Sequence[int] | None = None,
    coins: int = 0,
    coin_balance: int = 0,
    coin_rule: CoinRule = offers.NO_COINS,
    shipping: Mapping[int, ShippingTemplate] | None = None,
    pickup_merchants: frozenset[int] = frozenset(),
) -> Quote:
    """Price a cart. `coupons` are the buyer's usable coupons; `chosen` the ids to use
    (None: the best choice among them; () none). `coins` to spend, of `coin_balance`.

    Refusals (DomainError, nothing priced): CART_EMPTY, INVALID_QUANTITY, INVALID_PRICE,
    INVALID_INPUT / INVALID_AMOUNT / INVALID_RATE / FORBIDDEN (a bad offer), NOT_FOUND (a
    chosen coupon not offered), EXCLUSIVE_DISCOUNTS (two coupons of one slot that do not
    stack), COUPON_NOT_APPLICABLE, THRESHOLD_NOT_MET, COINS_OVER_CAP, INSUFFICIENT_FUNDS."""
    _check_lines(lines)
    for p in promotions:
        offers.check_promotion(p)
    for c in coupons:
        offers.check_coupon(c)
    if len({c.id for c in coupons}) != len(coupons) or len({p.id for p in promotions}) != len(promotions):
        raise DomainError(ErrorCode.INVALID_INPUT, "Two offers have one id.", "couponIds")
    offers.check_coin_rule(coin_rule)
    if not _is_int(coin_balance) or coin_balance < 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "A coin balance is 0 or more.", "coins")
    templates = shipping or {}

    work = [_price_steps(line, is_member) for line in lines]
    applied_promotions = _run_promotions(work, promotions)
    if len(work) > MAX_LINES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_LINES} lines.", "items")
    merchant_order = {m: n for n, m in enumerate(dict.fromkeys(w.line.merchant_id for w in work))}
    goods = {m: sum(w.amount for w in work if w.line.merchant_id == m) for m in merchant_order}
    fees = {m: shipping_fee(goods[m], templates.get(m, NO_SHIPPING), m in pickup_merchants) for m in merchant_order}

    order_key = _apply_order(merchant_order)
    if chosen is None:
        effects = _best(coupons, work, fees, order_key)
    else:
        effects, _ = _simulate(sorted(_chosen(coupons, chosen), key=order_key), work, fees, strict=True)

    shipping_parts: dict[int, list[Part]] = {m: [] for m in merchant_order}
    applied_coupons = []
    for e in effects:
        c = e.coupon
        for i, a in e.goods.items():
            work[i].take(Part(COUPON, c.id, c.funder, a))
        for m, a in e.shipping.items():
            shipping_parts[m].append(Part(COUPON, c.id, c.funder, a))
        keys = [work[i].line.key for i in e.goods] or [
            w.line.key for w in work if w.line.merchant_id in e.shipping and not w.gift
        ]
        applied_coupons.append(
            AppliedCoupon(c.id, c.template_id, c.funder, sum(e.goods.values()), sum(e.shipping.values()), tuple(keys))
        )

    coins_cap = _spend_coins(work, coin_rule, coins, coin_balance)

    priced = tuple(
        PricedLine(
            key=w.line.key,
            merchant_id=w.line.merchant_id,
            product_id=w.line.product_id,
            sku_id=w.line.sku_id,
            quantity=w.line.quantity,
            zone=w.line.zone,
            gift=w.gift,
            list_amount=w.line.list_price * w.line.quantity,
            member_discount=w.member_discount,
            activity_discount=w.activity_discount,
            discounts=tuple(w.parts),
            coins=w.coins,
            paid=w.amount,
        )
        for w in work
    )
    orders = tuple(
        PricedOrder(
            merchant_id=m,
            line_keys=tuple(p.key for p in priced if p.merchant_id == m),
            goods_amount=sum(p.goods_amount for p in priced if p.merchant_id == m),
            goods_paid=sum(p.paid for p in priced if p.merchant_id == m),
            shipping_fee=fees[m],
            shipping_discounts=tuple(shipping_parts[m]),
        )
        for m in merchant_order
    )
    return Quote(
        lines=priced,
        orders=orders,
        promotions=tuple(applied_promotions),
        coupons=tuple(applied_coupons),
        coins=sum(p.coins for p in priced),
        coins_cap=coins_cap,
    )


def funded_by_platform(discounts) -> int:
    """The platform-funded part of a line's stored discount parts (`OrderLine.discounts`: JSON
    objects with "funder" and "amount"): the merchant earns it as if the buyer had paid it."""
    if isinstance(discounts, str):  # a JSON column read by .values() on some backends
        discounts = json.loads(discounts)
    return sum(int(p["amount"]) for p in discounts or () if p.get("funder") is None)
