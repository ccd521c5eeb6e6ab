"""The points mall's statistics and the points lottery (MKT-4)."""

from __future__ import annotations

import strawberry

from schema.money import Money
from schema.node import codec
from services.marketing import points_mall

_product_id = codec("Product").encode


@strawberry.type(description="One points-mall product's exchanges over the range (paid, less what was refunded).")
class PointsExchangeRow:
    row: strawberry.Private[points_mall.ExchangeRow]

    @strawberry.field(description="The product.")
    def product_id(self) -> strawberry.ID:
        return _product_id(self.row.product_id)

    @strawberry.field(description="Its title when exchanged.")
    def title(self) -> str:
        return self.row.title

    @strawberry.field(description="Orders with units of it kept.")
    def orders(self) -> int:
        return self.row.orders

    @strawberry.field(description="Units exchanged and not refunded.")
    def units(self) -> int:
        return self.row.units

    @strawberry.field(description="Points those units cost (refunded units' points excluded).")
    def points(self) -> int:
        return self.row.points

    @strawberry.field(description="The cash part those units paid.")
    def cash_amount(self) -> Money:
        return Money.from_fen(self.row.cash)

    @strawberry.field(description="Points paid for the shipping of those orders.")
    def shipping_points(self) -> int:
        return self.row.shipping_points
