"""After-sales requests (ORD-7): thin calls into services.orders.after_sales."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import MERCHANT_IDS, api_errors, login_required, parse_id, payload_errors, viewer
from schema.pagination import Connection, to_connection
from schema.types.after_sales import AfterSale, AfterSaleKind, AfterSalePayload, AfterSaleStatus
from services.core.pagination import paginate
from services.orders import after_sales

AFTER_SALE_ID = "The after-sales request."
STATUS = "Only requests in this status."
FIRST = "Page size."
AFTER = "Cursor from the previous page."


@strawberry.type
class AfterSaleQueries:
    @strawberry.field(
        description="The signed-in buyer's after-sales requests, newest first.", extensions=login_required()
    )
    @api_errors
    async def my_after_sales(
        self,
        info: Info,
        status: Annotated[AfterSaleStatus | None, strawberry.argument(description=STATUS)] = None,
        first: Annotated[int, strawberry.argument(description=FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[AfterSale]:
        qs = after_sales.my_after_sales(viewer(info).id, status.value if status else None)
        return to_connection(await paginate(qs, first, after))

    @strawberry.field(
        description="A merchant's after-sales requests, newest first (its staff with merchant.orders, or platform support).",
        extensions=login_required(),
    )
    @api_errors
    async def merchant_after_sales(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID, strawberry.argument(description="The merchant.")],
        status: Annotated[AfterSaleStatus | None, strawberry.argument(description=STATUS)] = None,
        first: Annotated[int, strawberry.argument(description=FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[AfterSale]:
        qs = await after_sales.merchant_after_sales(
            await info.context.grants(),
            parse_id(merchant_id, "merchantId", of=MERCHANT_IDS),
            status.value if status else None,
        )
        return to_connection(await paginate(qs, first, after))

    @strawberry.field(
        description="One after-sales request: for its buyer, its merchant's order staff, or platform support.",
        extensions=login_required(),
    )
    @api_errors
    async def after_sale(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=AFTER_SALE_ID)]
    ) -> AfterSale:
        return await after_sales.visible_after_sale(
            viewer(info).id, await info.context.grants(), parse_id(id, of="AfterSale")
        )


@strawberry.type
class AfterSaleMutations:
    @strawberry.mutation(
        description="Ask for some units of one of your order lines to be refunded (REFUND_ONLY) or returned and refunded "
        "(RETURN_REFUND, once the goods have reached you). Accepted while the order is paid and not yet completed, and "
        "for a while after completion.",
        extensions=login_required(),
    )
    @payload_errors
    async def request_after_sale(
        self,
        info: Info,
        line_id: Annotated[strawberry.ID, strawberry.argument(description="The order line.")],
        kind: Annotated[AfterSaleKind, strawberry.argument(description="Refund only, or return and refund.")],
        quantity: Annotated[
            int, strawberry.argument(description="Units, from 1 to those of the line not yet under a request.")
        ],
        reason: Annotated[str, strawberry.argument(description="Why, 1-256 characters.")],
    ) -> AfterSalePayload:
        after_sale = await after_sales.request_after_sale(
            viewer(info).id, parse_id(line_id, "lineId", of="OrderLine"), kind.value, quantity, reason
        )
        return AfterSalePayload(after_sale=after_sale)

    @strawberry.mutation(
        description="The buyer withdraws a request (requested, or approved and not yet shipped back).",
        extensions=login_required(),
    )
    @payload_errors
    async def cancel_after_sale(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=AFTER_SALE_ID)]
    ) -> AfterSalePayload:
        return AfterSalePayload(after_sale=await after_sales.cancel(viewer(info).id, parse_id(id, of="AfterSale")))

    @strawberry.mutation(
        description="Approve a request (merchant.orders, or platform support): a refund-only is refunded at once; "
        "a return-and-refund waits for the goods to come back.",
        extensions=login_required(),
    )
    @payload_errors
    async def approve_after_sale(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=AFTER_SALE_ID)]
    ) -> AfterSalePayload:
        return AfterSalePayload(
            after_sale=await after_sales.approve(
                await info.context.grants(), viewer(info).id, parse_id(id, of="AfterSale")
            )
        )

    @strawberry.mutation(
        description="Reject a request with a reason the buyer sees (merchant.orders, or platform support).",
        extensions=login_required(),
    )
    @payload_errors
    async def reject_after_sale(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=AFTER_SALE_ID)],
        reason: Annotated[str, strawberry.argument(description="Why, 1-256 characters.")],
    ) -> AfterSalePayload:
        return AfterSalePayload(
            after_sale=await after_sales.reject(
                await info.context.grants(), viewer(info).id, parse_id(id, of="AfterSale"), reason
            )
        )

    @strawberry.mutation(
        description="The buyer has sent an approved return back: carrier and tracking number.",
        extensions=login_required(),
    )
    @payload_errors
    async def submit_return_shipment(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=AFTER_SALE_ID)],
        carrier: Annotated[str, strawberry.argument(description="Carrier name, 1-32 characters, e.g. 顺丰.")],
        tracking_no: Annotated[
            str, strawberry.argument(description="Tracking number: 4-64 letters, digits or dashes.")
        ],
    ) -> AfterSalePayload:
        return AfterSalePayload(
            after_sale=await after_sales.submit_return_shipment(
                viewer(info).id, parse_id(id, of="AfterSale"), carrier, tracking_no
            )
        )

    @strawberry.mutation(
        description="The merchant received the returned goods (merchant.orders, or platform support): stock comes back "
        "and the buyer is refunded by the payment's own method.",
        extensions=login_required(),
    )
    @payload_errors
    async def receive_return(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=AFTER_SALE_ID)]
    ) -> AfterSalePayload:
        return AfterSalePayload(
            after_sale=await after_sales.receive_return(
                await info.context.grants(), viewer(info).id, parse_id(id, of="AfterSale")
            )
        )
