"""Pure price arithmetic for carts and checkout (ORD-1, ORD-2): no database here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShippingTemplate:
    fee: int  # flat fee per order, fen
    free_threshold: int  # goods amount at or above which shipping is free; 0 = never free


@dataclass(frozen=True)
class MerchantTotal:
    merchant_id: int
    goods_amount: int
    shipping_fee: int

    @property
    def total(self) -> int:
        return self.goods_amount + self.shipping_fee


def shipping_fee(goods_amount: int, template: ShippingTemplate, pickup: bool) -> int:
    if pickup or goods_amount <= 0:
        return 0
    if template.free_threshold > 0 and goods_amount >= template.free_threshold:
        return 0
    return template.fee


def merchant_totals(
    amounts: list[tuple[int, int]],  # (merchant_id, line amount)
    templates: dict[int, ShippingTemplate],
    pickup_merchants: frozenset[int] = frozenset(),
) -> list[MerchantTotal]:
    """Goods and shipping per merchant, in first-seen merchant order."""
    goods: dict[int, int] = {}
    for merchant_id, amount in amounts:
        goods[merchant_id] = goods.get(merchant_id, 0) + amount
    return [MerchantTotal(mid, g, shipping_fee(g, templates[mid], mid in pickup_merchants)) for mid, g in goods.items()]


def unit_price(zone: str, price: int, wholesale_price: int | None, member_price: int | None, is_member: bool) -> int:
    """The price one unit sells at: wholesale zone at its wholesale price, a member's
    member price where set, otherwise the list price."""
    if zone == "WHOLESALE" and wholesale_price is not None:
        return wholesale_price
    if is_member and member_price is not None:
        return min(price, member_price)
    return price


def refund_share(line_amount: int, line_quantity: int, already_refunded_quantity: int, quantity: int) -> int:
    """What `quantity` more units of a line refund, so that refunding every unit, in any
    number of steps, returns exactly `line_amount` (cumulative floor allocation)."""
    if quantity <= 0 or already_refunded_quantity + quantity > line_quantity:
        raise ValueError("quantity out of range")
    before = line_amount * already_refunded_quantity // line_quantity
    after = line_amount * (already_refunded_quantity + quantity) // line_quantity
    return after - before
