"""In-store payment (STO-1): the store's payment code, scanning it, paying, receipts, refunds
by store staff, and granting store permissions. Thin calls into services.stores.payments."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import USER_IDS, api_errors, login_required, parse_id, payload_errors, viewer
from schema.money import Amount
from schema.pagination import Connection, to_connection
from schema.types.merchants import Store, StoreStaffPayload
from schema.types.store_payments import (
    StorePaymentCode,
    StorePaymentMethod,
    StorePaymentPayload,
    StorePaymentReceipt,
    StorePaymentRequest,
    StorePaymentRequestPayload,
    StoreRefundPayload,
)
from services.core.pagination import paginate
from services.merchants import stores
from services.stores import payment_requests, payments

STORE_ID = "The store."
CODE = "The store's payment code, or the link scanned from its QR code."
REQUEST_CODE = "The payment request's code, or the link scanned from its QR code on the cashier's screen."


@strawberry.type
class StorePaymentQueries:
    @strawberry.field(
        description="The store's payment code and printable QR code: its staff (store.cashier) or the "
        "merchant's order staff.",
        extensions=login_required(),
    )
    @api_errors
    async def store_payment_code(
        self, info: Info, store_id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)]
    ) -> StorePaymentCode:
        found = await payments.code_for(await info.context.grants(), parse_id(store_id, "storeId", of="Store"))
        return StorePaymentCode(
            code=found.code, url=found.url, png_url=found.png_url, svg_url=found.svg_url, store=found.store
        )

    @strawberry.field(
        description="The store a scanned payment code belongs to, to confirm before paying: "
        "STORE_PAYMENT_CODE_INVALID for a forged code, STORE_CLOSED for a closed store or merchant.",
        extensions=login_required(),
    )
    @api_errors
    async def store_by_payment_code(
        self, info: Info, code: Annotated[str, strawberry.argument(description=CODE)]
    ) -> Store:
        return await payments.store_for_code(code)

    @strawberry.field(
        description="A payment taken at a store: for its payer, the store's staff (store.cashier) or the "
        "merchant's order staff.",
        extensions=login_required(),
    )
    @api_errors
    async def store_payment_receipt(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The payment's order id.")]
    ) -> StorePaymentReceipt:
        return await payments.receipt(viewer(info).id, await info.context.grants(), parse_id(id, of="Order"))

    @strawberry.field(
        description="The payments taken at a store, newest first (store.cashier).", extensions=login_required()
    )
    @api_errors
    async def store_payments(
        self,
        info: Info,
        store_id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)],
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[StorePaymentReceipt]:
        qs = await payments.store_payments(await info.context.grants(), parse_id(store_id, "storeId", of="Store"))
        return to_connection(await paginate(qs, first, after))

    @strawberry.field(
        description="A cashier's payment request scanned by the customer, to confirm its store and amount before "
        "paying it: STORE_PAYMENT_CODE_INVALID for a forged code.",
        extensions=login_required(),
    )
    @api_errors
    async def store_payment_request(
        self, info: Info, code: Annotated[str, strawberry.argument(description=REQUEST_CODE)]
    ) -> StorePaymentRequest:
        return await payment_requests.for_code(code)

    @strawberry.field(
        description="The store's payment requests, newest first (store.cashier).", extensions=login_required()
    )
    @api_errors
    async def store_payment_requests(
        self,
        info: Info,
        store_id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)],
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[StorePaymentRequest]:
        qs = await payment_requests.store_requests(
            await info.context.grants(), parse_id(store_id, "storeId", of="Store")
        )
        return to_connection(await paginate(qs, first, after))


@strawberry.type
class StorePaymentMutations:
    @strawberry.mutation(
        description="Pay an amount at a store by its scanned payment code, from my wallet (or through the gateway). The merchant is "
        "credited less the platform commission at settlement; the payment counts like a paid order "
        "(commissions, agents, store share). The same idempotencyKey answers the same receipt.",
        extensions=login_required(),
    )
    @payload_errors
    async def pay_at_store(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description=CODE)],
        amount: Annotated[
            Amount, strawberry.argument(description="The amount, above 0 and at most STORE_PAYMENT_MAX_AMOUNT.")
        ],
        idempotency_key: Annotated[
            str, strawberry.argument(description="1 to 64 characters; a retry with it pays once.")
        ],
        store_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The store the customer confirmed (storeByPaymentCode): refused if the code is another's."
            ),
        ] = None,
        method: Annotated[
            StorePaymentMethod,
            strawberry.argument(
                description="WALLET pays at once; GATEWAY leaves the payment awaiting the gateway: open the charge "
                "with startGatewayPayment on the receipt's order payment; MEMBER_CARD pays from memberCardId."
            ),
        ] = StorePaymentMethod.WALLET,
        member_card_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="My member card (method MEMBER_CARD): refused where it is not accepted."),
        ] = None,
    ) -> StorePaymentPayload:
        order = await payments.pay(
            viewer(info).id,
            code,
            amount,
            idempotency_key,
            store_id=parse_id(store_id, "storeId", of="Store") if store_id is not None else None,
            method=method.value,
            member_card_id=parse_id(member_card_id, "memberCardId", of="MemberCard")
            if member_card_id is not None
            else None,
        )
        return StorePaymentPayload(receipt=order)

    @strawberry.mutation(
        description="The cashier enters what the customer owes (store.cashier): show the request's QR code; the "
        "customer scans it, confirms and pays it (payStorePaymentRequest) within STORE_PAYMENT_REQUEST_MINUTES.",
        extensions=login_required(),
    )
    @payload_errors
    async def request_store_payment(
        self,
        info: Info,
        store_id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)],
        amount: Annotated[
            Amount, strawberry.argument(description="The amount, above 0 and at most STORE_PAYMENT_MAX_AMOUNT.")
        ],
        note: Annotated[str, strawberry.argument(description="What it is for, optional (at most 64 characters).")] = "",
    ) -> StorePaymentRequestPayload:
        request = await payment_requests.create(
            await info.context.grants(), viewer(info).id, parse_id(store_id, "storeId", of="Store"), amount, note
        )
        return StorePaymentRequestPayload(request=request)

    @strawberry.mutation(
        description="Take back an open payment request nobody is paying (store.cashier).", extensions=login_required()
    )
    @payload_errors
    async def cancel_store_payment_request(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The request.")]
    ) -> StorePaymentRequestPayload:
        request = await payment_requests.cancel(await info.context.grants(), parse_id(id, of="StorePaymentRequest"))
        return StorePaymentRequestPayload(request=request)

    @strawberry.mutation(
        description="Pay a cashier's payment request I scanned: its store and amount, as payAtStore pays (wallet, "
        "member card or gateway; the same receipts and refunds). A request is paid once: "
        "STORE_PAYMENT_REQUEST_CLOSED when it is paid, being paid, cancelled or expired. The same idempotencyKey "
        "answers the same receipt.",
        extensions=login_required(),
    )
    @payload_errors
    async def pay_store_payment_request(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description=REQUEST_CODE)],
        idempotency_key: Annotated[
            str, strawberry.argument(description="1 to 64 characters; a retry with it pays once.")
        ],
        method: Annotated[
            StorePaymentMethod,
            strawberry.argument(description="As payAtStore's method."),
        ] = StorePaymentMethod.WALLET,
        member_card_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="My member card (method MEMBER_CARD): refused where it is not accepted."),
        ] = None,
    ) -> StorePaymentPayload:
        order = await payment_requests.pay(
            viewer(info).id,
            code,
            idempotency_key,
            method=method.value,
            member_card_id=parse_id(member_card_id, "memberCardId", of="MemberCard")
            if member_card_id is not None
            else None,
        )
        return StorePaymentPayload(receipt=order)

    @strawberry.mutation(
        description="Refund part or all of a payment taken at a store: its staff with store.refund (or the "
        "merchant's order staff), within STORE_REFUND_DAYS, never above what is left. Commissions and the "
        "platform commission are reversed in proportion.",
        extensions=login_required(),
    )
    @payload_errors
    async def refund_store_payment(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The payment's order id.")],
        amount: Annotated[Amount, strawberry.argument(description="The amount to refund, above 0.")],
        reason: Annotated[str, strawberry.argument(description="Why, optional (at most 256 characters).")] = "",
    ) -> StoreRefundPayload:
        order_id = parse_id(id, of="Order")
        grants = await info.context.grants()
        refund = await payments.refund(grants, viewer(info).id, order_id, amount, reason)
        return StoreRefundPayload(refund=refund, receipt=await payments.receipt(viewer(info).id, grants, order_id))

    @strawberry.mutation(
        description="Grant a store staff member extra store permissions (store.refund); store.pickup and "
        "store.cashier they always hold. Replaces the extra grants. Needs merchant.staff.",
        extensions=login_required(),
    )
    @payload_errors
    async def set_store_staff_permissions(
        self,
        info: Info,
        store_id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)],
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The staff member.")],
        permissions: Annotated[
            list[str], strawberry.argument(description="Store permission codes, e.g. store.refund.")
        ],
    ) -> StoreStaffPayload:
        staff = await stores.set_store_staff_permissions(
            await info.context.grants(),
            parse_id(store_id, "storeId", of="Store"),
            parse_id(user_id, "userId", of=USER_IDS),
            list(permissions),
        )
        return StoreStaffPayload(staff=staff)
