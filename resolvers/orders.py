"""Checkout, payment and the order lifecycle (ORD-2..6): thin calls into services."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import MERCHANT_IDS, api_errors, login_required, parse_id, payload_errors, viewer
from schema.pagination import Connection, to_connection
from schema.types.checkout import CheckoutPreview, CheckoutPreviewInput
from schema.types.orders import (
    CancelOrderPayload,
    GatewayCharge,
    Order,
    OrderPayload,
    OrderStatus,
    Payment,
    PaymentPayload,
    PlaceOrderInput,
    PlaceOrderPayload,
    StartPaymentPayload,
    TrackingStatus,
)
from services.core.pagination import paginate
from services.orders import checkout, payments
from services.orders import fulfilment as orders
from services.risk import control as risk

ORDER_ID = "The order."
FIRST = "Page size."
AFTER = "Cursor from the previous page."


def _choices(data: PlaceOrderInput | CheckoutPreviewInput) -> dict:
    """What placeOrder and checkoutPreview both choose: items, pickup stores, coupons, coins."""
    items = None
    if data.items is not None:
        items = tuple(checkout.LineRequest(parse_id(i.sku_id, "items", of="Sku"), i.quantity) for i in data.items)
    return {
        "items": items,
        "pickup_stores": {
            parse_id(p.merchant_id, "pickupStores", of=MERCHANT_IDS): parse_id(p.store_id, "pickupStores", of="Store")
            for p in data.pickup_stores
        },
        "store_deliveries": {
            parse_id(p.merchant_id, "storeDeliveries", of=MERCHANT_IDS): parse_id(
                p.store_id, "storeDeliveries", of="Store"
            )
            for p in data.store_deliveries
        },
        "coupon_ids": None
        if data.coupon_ids is None
        else tuple(parse_id(i, "couponIds", of="UserCoupon") for i in data.coupon_ids),
        "coins": data.coins,
        "shipping_in_points": data.shipping_in_points,
    }


def _checkout_request(data: PlaceOrderInput) -> checkout.CheckoutRequest:
    return checkout.CheckoutRequest(
        idempotency_key=data.idempotency_key,
        address_id=parse_id(data.address_id, "addressId", of="Address") if data.address_id is not None else None,
        note=data.note,
        invite_code=data.invite_code.strip(),
        consign_wholesale=data.consign_wholesale_units,
        **_choices(data),
    )


def _preview_request(data: CheckoutPreviewInput) -> checkout.CheckoutRequest:
    address_id = parse_id(data.address_id, "addressId", of="Address") if data.address_id is not None else None
    return checkout.CheckoutRequest(idempotency_key="", address_id=address_id, **_choices(data))


@strawberry.type
class OrderQueries:
    @strawberry.field(
        description="What placing these items would charge, priced exactly as `placeOrder` prices them: discounts per line, the coupons applied (chosen, or the best) and those usable. Writes nothing.",
        extensions=login_required(),
    )
    @api_errors
    async def checkout_preview(
        self,
        info: Info,
        input: Annotated[CheckoutPreviewInput, strawberry.argument(description="The checkout's choices.")],
    ) -> CheckoutPreview:
        return CheckoutPreview.of(await checkout.preview(viewer(info).id, _preview_request(input)))

    @strawberry.field(description="The signed-in buyer's orders, newest first.", extensions=login_required())
    @api_errors
    async def my_orders(
        self,
        info: Info,
        status: Annotated[OrderStatus | None, strawberry.argument(description="Only orders in this status.")] = None,
        first: Annotated[int, strawberry.argument(description=FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[Order]:
        qs = orders.my_orders(viewer(info).id, status.value if status else None)
        return to_connection(await paginate(qs, first, after))

    @strawberry.field(
        description="One order: for its buyer, its merchant's order staff, its pickup store's staff, or platform support.",
        extensions=login_required(),
    )
    @api_errors
    async def order(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=ORDER_ID)]) -> Order:
        return await orders.visible_order(viewer(info).id, await info.context.grants(), parse_id(id, of="Order"))

    @strawberry.field(
        description="A merchant's paid orders, newest first (its staff with merchant.orders).",
        extensions=login_required(),
    )
    @api_errors
    async def merchant_orders(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID, strawberry.argument(description="The merchant.")],
        status: Annotated[OrderStatus | None, strawberry.argument(description="Only orders in this status.")] = None,
        first: Annotated[int, strawberry.argument(description=FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Connection[Order]:
        qs = await orders.merchant_orders(
            await info.context.grants(),
            parse_id(merchant_id, "merchantId", of=MERCHANT_IDS),
            status.value if status else None,
        )
        return to_connection(await paginate(qs, first, after))

    @strawberry.field(description="One of the signed-in buyer's payments.", extensions=login_required())
    @api_errors
    async def payment(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The payment.")]
    ) -> Payment:
        return await payments.own_payment(viewer(info).id, parse_id(id, of="Payment"))


@strawberry.type
class OrderMutations:
    @strawberry.mutation(
        description="Check out: one order per merchant under one payment; stock is reserved until paid or cancelled. "
        "Retrying with the same idempotency key returns the same orders.",
        extensions=login_required(),
    )
    @payload_errors
    async def place_order(
        self, info: Info, input: Annotated[PlaceOrderInput, strawberry.argument(description="The checkout.")]
    ) -> PlaceOrderPayload:
        placed = await checkout.place_order(viewer(info).id, _checkout_request(input))
        # RISK-2: where the orders came from (device id header, IP), after the checkout committed
        await risk.record_origin(
            viewer(info).id, [o.id for o in placed.orders], info.context.device_id, info.context.client.ip
        )
        return PlaceOrderPayload(payment=placed.payment, orders=placed.orders)

    @strawberry.mutation(description="Pay a checkout from the wallet balance (零钱).", extensions=login_required())
    @payload_errors
    async def pay_with_wallet(
        self, info: Info, payment_id: Annotated[strawberry.ID, strawberry.argument(description="The payment.")]
    ) -> PaymentPayload:
        return PaymentPayload(
            payment=await payments.pay_with_wallet(viewer(info).id, parse_id(payment_id, "paymentId", of="Payment"))
        )

    @strawberry.mutation(
        description="Pay a checkout through the payment gateway: returns the charge the client pays; the order is paid when the gateway's callback arrives.",
        extensions=login_required(),
    )
    @payload_errors
    async def start_gateway_payment(
        self, info: Info, payment_id: Annotated[strawberry.ID, strawberry.argument(description="The payment.")]
    ) -> StartPaymentPayload:
        payment, charge = await payments.start_gateway_payment(
            viewer(info).id, parse_id(payment_id, "paymentId", of="Payment")
        )
        return StartPaymentPayload(payment=payment, charge=GatewayCharge.from_charge(charge))

    @strawberry.mutation(
        description="Cancel an unpaid order; the other orders of the same checkout are cancelled with it and the stock is released.",
        extensions=login_required(),
    )
    @payload_errors
    async def cancel_order(
        self,
        info: Info,
        order_id: Annotated[strawberry.ID, strawberry.argument(description=ORDER_ID)],
        reason: Annotated[str, strawberry.argument(description="Why, optional.")] = "",
    ) -> CancelOrderPayload:
        return CancelOrderPayload(
            orders=await payments.cancel_by_buyer(viewer(info).id, parse_id(order_id, "orderId", of="Order"), reason)
        )

    @strawberry.mutation(
        description="Ship a paid express order with carrier and tracking number (merchant.orders).",
        extensions=login_required(),
    )
    @payload_errors
    async def ship_order(
        self,
        info: Info,
        order_id: Annotated[strawberry.ID, strawberry.argument(description=ORDER_ID)],
        carrier: Annotated[str, strawberry.argument(description="Carrier name, e.g. 顺丰.")],
        tracking_no: Annotated[
            str, strawberry.argument(description="Tracking number: 4-64 letters, digits or dashes.")
        ],
    ) -> OrderPayload:
        grants = await info.context.grants()
        return OrderPayload(
            order=await orders.ship(
                grants, viewer(info).id, parse_id(order_id, "orderId", of="Order"), carrier, tracking_no
            )
        )

    @strawberry.mutation(
        description="Record a carrier tracking event (merchant.orders; carriers' webhooks in production). DELIVERED moves the order to DELIVERED.",
        extensions=login_required(),
    )
    @payload_errors
    async def add_tracking_event(
        self,
        info: Info,
        order_id: Annotated[strawberry.ID, strawberry.argument(description=ORDER_ID)],
        status: Annotated[TrackingStatus, strawberry.argument(description="Kind of event.")],
        description: Annotated[str, strawberry.argument(description="What happened, 1-256 characters.")],
        location: Annotated[str, strawberry.argument(description="Where, optional.")] = "",
        occurred_at: Annotated[datetime | None, strawberry.argument(description="When; default now.")] = None,
    ) -> OrderPayload:
        order = await orders.add_tracking_event(
            await info.context.grants(),
            viewer(info).id,
            parse_id(order_id, "orderId", of="Order"),
            status.value,
            description,
            location,
            occurred_at,
        )
        return OrderPayload(order=order)

    @strawberry.mutation(
        description="Tell the buyer a pickup order is ready at the store (store staff or merchant.orders).",
        extensions=login_required(),
    )
    @payload_errors
    async def mark_ready_for_pickup(
        self, info: Info, order_id: Annotated[strawberry.ID, strawberry.argument(description=ORDER_ID)]
    ) -> OrderPayload:
        return OrderPayload(
            order=await orders.mark_ready_for_pickup(
                await info.context.grants(), viewer(info).id, parse_id(order_id, "orderId", of="Order")
            )
        )

    @strawberry.mutation(
        description="Hand a pickup order over against the buyer's pickup code (staff of that store, or merchant.orders).",
        extensions=login_required(),
    )
    @payload_errors
    async def verify_pickup(
        self,
        info: Info,
        store_id: Annotated[strawberry.ID, strawberry.argument(description="The store.")],
        code: Annotated[str, strawberry.argument(description="The buyer's pickup code.")],
    ) -> OrderPayload:
        return OrderPayload(
            order=await orders.verify_pickup(
                await info.context.grants(), viewer(info).id, parse_id(store_id, "storeId", of="Store"), code
            )
        )

    @strawberry.mutation(description="The buyer confirms receipt: the order completes.", extensions=login_required())
    @payload_errors
    async def confirm_receipt(
        self, info: Info, order_id: Annotated[strawberry.ID, strawberry.argument(description=ORDER_ID)]
    ) -> OrderPayload:
        return OrderPayload(
            order=await orders.confirm_receipt(viewer(info).id, parse_id(order_id, "orderId", of="Order"))
        )


@strawberry.type
class SandboxPaymentMutations:
    """In the schema only with the sandbox gateway (PAYMENT_GATEWAY=sandbox): development and tests."""

    @strawberry.mutation(
        description="Sandbox gateway only: pay a charge as the buyer would at the gateway; the gateway's signed callback follows. "
        "PAYMENT_METHOD_UNAVAILABLE with a real gateway.",
        extensions=login_required(),
    )
    @payload_errors
    async def sandbox_pay(
        self, info: Info, trade_no: Annotated[str, strawberry.argument(description="The charge's trade number.")]
    ) -> PaymentPayload:
        return PaymentPayload(payment=await payments.sandbox_pay(viewer(info).id, trade_no))
