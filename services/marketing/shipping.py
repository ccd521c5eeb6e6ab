"""Shipping fees per merchant order (ORD-1): a flat fee, free above a goods threshold, none
for store pickup. Pure; the cart, the checkout and the pricing pipeline share it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShippingTemplate:
    fee: int  # flat fee per order, fen
    free_threshold: int  # goods amount at or above which shipping is free; 0 = never free


NO_SHIPPING = ShippingTemplate(0, 0)


def shipping_fee(goods_amount: int, template: ShippingTemplate, pickup: bool) -> int:
    if pickup or goods_amount <= 0:
        return 0
    if template.free_threshold > 0 and goods_amount >= template.free_threshold:
        return 0
    return template.fee
