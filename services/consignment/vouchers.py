"""Wholesale vouchers (批发券, CON-1): granted when a retail (or member-zone) order is paid,
reserved by an unpaid wholesale order, used when it is paid, restored when it is cancelled
or its unit refunded before consignment; expired by the worker.

Every status change is a conditional UPDATE on the rows' current status, so a voucher is
never reserved by two orders at once.
"""

from __future__ import annotations

from datetime import timedelta

import settings
from models.consignment import Voucher
from models.orders import Order, OrderLine
from services.consignment.events import VouchersGranted
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, user_channel
from services.orders.hooks import PaidOrder

UNUSED, RESERVED, USED, EXPIRED, REVOKED = "UNUSED", "RESERVED", "USED", "EXPIRED", "REVOKED"
STATUSES = (UNUSED, RESERVED, USED, EXPIRED, REVOKED)
GRANTING_ZONES = {"RETAIL": "WHOLESALE", "MEMBER": "DISCOUNT"}  # zone -> kind of voucher it grants


async def issue_for_order(paid: PaidOrder, conn) -> int:
    """Grant the vouchers a paid order's retail / member-zone lines carry."""
    order = paid.order
    lines = paid.lines_in(GRANTING_ZONES)
    if not lines:
        return 0
    products = paid.products  # read by the payment with the lines
    expires = clock.now() + timedelta(days=settings.VOUCHER_TTL_DAYS)
    rows = [
        Voucher(
            owner_id=order.buyer_id,
            kind=GRANTING_ZONES[line.zone],
            scope_product_id=products[line.product_id].voucher_product_id,
            source_line_id=line.id,
            expires_at=expires,
        )
        for line in lines
        for _ in range(products[line.product_id].vouchers_per_unit * line.quantity)
    ]
    if rows:
        await Voucher.bulk_create(rows, using_db=conn)
        emit(user_channel(order.buyer_id), VouchersGranted(len(rows), order.id))
    return len(rows)


async def reserve(buyer_id: int, line: OrderLine, conn) -> None:
    """Hold one voucher per unit of a wholesale line, soonest-expiring first; product-scoped
    vouchers before any-product ones. VOUCHER_REQUIRED if the buyer has too few."""
    now = clock.now()
    candidates = await (
        Voucher.filter(owner_id=buyer_id, status=UNUSED, expires_at__gt=now)
        .filter(scope_product_id__in=[line.product_id])
        .using_db(conn)
        .order_by("expires_at", "id")
        .limit(line.quantity)
        .select_for_update()
        .values_list("id", flat=True)
    )
    if len(candidates) < line.quantity:
        candidates += await (
            Voucher.filter(owner_id=buyer_id, status=UNUSED, expires_at__gt=now, scope_product_id=None)
            .using_db(conn)
            .order_by("expires_at", "id")
            .limit(line.quantity - len(candidates))
            .select_for_update()
            .values_list("id", flat=True)
        )
    if len(candidates) < line.quantity:
        raise DomainError(
            ErrorCode.VOUCHER_REQUIRED,
            f"{line.title}: one wholesale voucher per unit is needed; you have {len(candidates)} usable.",
            "items",
        )
    taken = (
        await Voucher.filter(id__in=candidates, status=UNUSED)
        .using_db(conn)
        .update(status=RESERVED, used_line_id=line.id)
    )
    if taken != line.quantity:  # a concurrent checkout of the same buyer took some first
        raise DomainError(ErrorCode.VOUCHER_REQUIRED, "Your vouchers are being used by another checkout.", "items")


async def use_for_order(paid: PaidOrder, conn) -> None:
    """At payment: the reserved vouchers become used. VOUCHER_EXPIRED if one ran out while
    the order waited (the payment is refused; cancelling frees the order's stock)."""
    line_ids = [ln.id for ln in paid.lines_in(("WHOLESALE",))]
    if not line_ids:
        return
    if (
        await Voucher.filter(used_line_id__in=line_ids, status=RESERVED, expires_at__lte=clock.now())
        .using_db(conn)
        .exists()
    ):
        raise DomainError(ErrorCode.VOUCHER_EXPIRED, "A voucher of this wholesale order has expired.", "paymentId")
    await (
        Voucher.filter(used_line_id__in=line_ids, status=RESERVED)
        .using_db(conn)
        .update(status=USED, used_at=clock.now())
    )


async def release_for_order(order: Order, conn) -> None:
    """The unpaid wholesale order was cancelled: its vouchers are free again (or expired)."""
    line_ids = await OrderLine.filter(order_id=order.id, zone="WHOLESALE").using_db(conn).values_list("id", flat=True)
    if not line_ids:
        return
    now = clock.now()
    await (
        Voucher.filter(used_line_id__in=line_ids, status=RESERVED, expires_at__gt=now)
        .using_db(conn)
        .update(status=UNUSED, used_line_id=None)
    )
    await Voucher.filter(used_line_id__in=line_ids, status=RESERVED).using_db(conn).update(status=EXPIRED)


async def restore_for_line(line_id: int, quantity: int, conn) -> int:
    """`quantity` wholesale units of a line were refunded before consignment: give back
    as many of its vouchers (those already past expiry become EXPIRED)."""
    ids = (
        await Voucher.filter(used_line_id=line_id, status=USED)
        .using_db(conn)
        .order_by("-id")
        .limit(quantity)
        .values_list("id", flat=True)
    )
    now = clock.now()
    back = (
        await Voucher.filter(id__in=ids, status=USED, expires_at__gt=now)
        .using_db(conn)
        .update(status=UNUSED, used_line_id=None, used_at=None)
    )
    await Voucher.filter(id__in=ids, status=USED).using_db(conn).update(status=EXPIRED)
    return back


async def revoke_granted(line_id: int, count: int, conn) -> int:
    """A granting line was refunded: withdraw up to `count` of the vouchers it granted that
    are still unused (used ones stay used: their wholesale unit was bought in good faith)."""
    ids = (
        await Voucher.filter(source_line_id=line_id, status=UNUSED)
        .using_db(conn)
        .order_by("-id")
        .limit(count)
        .values_list("id", flat=True)
    )
    return await Voucher.filter(id__in=ids, status=UNUSED).using_db(conn).update(status=REVOKED)


async def expire_due() -> int:
    """Worker job: unused vouchers past their expiry become EXPIRED (one set-based UPDATE)."""
    return await Voucher.filter(status=UNUSED, expires_at__lte=clock.now()).update(status=EXPIRED)


def my_vouchers(user_id: int, status: str | None = None):
    query = Voucher.filter(owner_id=user_id)
    return query.filter(status=status) if status else query
