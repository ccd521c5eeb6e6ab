"""Pure price arithmetic for carts and checkout (ORD-1, ORD-2): no database here.

Shipping fees are `services.marketing.shipping`'s (the pricing pipeline needs them below
orders); they are named here too for the cart and checkout."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.money import cumulative_share
from services.marketing.shipping import ShippingTemplate, shipping_fee

__all__ = ["MerchantTotal", "ShippingTemplate", "merchant_totals", "refund_share", "shipping_fee", "unit_price"]


@dataclass(frozen=True)
class MerchantTotal:
    merchant_id: int
    goods_amount: int
    shipping_fee: int

    @property
    def total(self) -> int:
        return self.goods_amount + self.shipping_fee


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
    return cumulative_share(line_amount, line_quantity, already_refunded_quantity, quantity)
