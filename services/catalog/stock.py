"""Stock (CAT-4, ORD-3): the ONLY place a SKU's stock changes.

`adjust_stock()` moves a SKU's stock by one conditional UPDATE (`... WHERE stock + delta
>= 0 RETURNING stock`): never below zero, never read-modify-write, so concurrent
reservations cannot oversell. Each change is a StockMovement row with the stock after
it, and the product's denormalised total follows in the same transaction. `reserve()` does
the same for all the lines of a checkout at once (three statements for any number of lines).

Stock changes of one product are serialised on the product row (locked first, then the
SKU), the same order as SKU-list edits in services.catalog.products: no deadlocks, exact totals.

After the commit (events via unit_of_work):
- `merchant:{id}` gets {"type": "low_stock", "skuId": ...} when a SKU crosses its
  low-stock threshold (the SKU's own, else the merchant's) going down;
- a listed product whose total stock reaches 0 is delisted (OUT_OF_STOCK) when the
  merchant has auto_delist_at_zero, and relisted when restocked, unless delisted by hand;
- a SKU's stock reaching 0, or leaving it, is a public data change (the response cache).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import F, Q

from models.catalog import Product, Sku, StockMovement
from models.merchants import Merchant
from services.accounts.access import Grants, require_merchant
from services.catalog.events import LowStock, ProductDelisted, ProductRelisted
from services.catalog.limits import MAX_STOCK, PRODUCTS_PERMISSION
from services.catalog.product_states import DELISTED, LISTED
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, merchant_channel, public_data_changed, unit_of_work
from services.core.sql import add_per_row, sql
from services.merchants import merchants

# Movement reasons
INITIAL = "INITIAL"  # a new SKU's opening stock
RESTOCK = "RESTOCK"  # goods received
ADJUST = "ADJUST"  # stock-take correction
DAMAGE = "DAMAGE"  # written off
ORDER_RESERVE = "ORDER_RESERVE"  # an order was placed (ORD-3)
ORDER_RELEASE = "ORDER_RELEASE"  # cancelled or payment timed out
RETURN = "RETURN"  # goods came back (ORD-7)
REASONS = (INITIAL, RESTOCK, ADJUST, DAMAGE, ORDER_RESERVE, ORDER_RELEASE, RETURN)
STAFF_REASONS = (RESTOCK, ADJUST, DAMAGE)


@dataclass(frozen=True)
class StockChange:
    sku_id: int
    product_id: int
    delta: int
    stock_after: int
    total_stock_after: int
    movement_id: int


async def adjust_stock(
    sku_id: int,
    delta: int,
    reason: str,
    *,
    reference_type: str = "",
    reference_id: str = "",
    actor_id: int | None = None,
    refresh_listing: bool = True,
) -> StockChange:
    """Add `delta` (negative: take) to a SKU's stock, atomically; INSUFFICIENT_STOCK if it
    would go below zero. Runs in its own unit of work or as a savepoint of the caller's
    (an order placing several lines)."""
    if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0 or abs(delta) > MAX_STOCK:
        raise DomainError(ErrorCode.INVALID_STOCK, f"The change must be a non-zero integer up to {MAX_STOCK}.", "delta")
    if reason not in REASONS:
        raise DomainError(ErrorCode.INVALID_INPUT, "Unknown stock movement reason.", "reason")
    async with unit_of_work() as conn:
        # One statement finds the SKU's product and merchant and locks the product row
        # (OF p: that row only; SQLite serialises writers anyway). NO KEY UPDATE, the lock an
        # UPDATE of its non-key columns takes: a FOR UPDATE would also wait for the KEY SHARE
        # locks that inserting order lines (foreign keys) take, and a checkout reserves stock
        # after inserting its lines: two checkouts would deadlock on each other's.
        lock = " FOR NO KEY UPDATE OF p" if conn.capabilities.dialect == "postgres" else ""
        rows = await conn.execute_query_dict(
            sql(
                conn,
                "SELECT s.product_id, p.merchant_id, m.low_stock_threshold AS merchant_threshold, "
                "m.auto_delist_at_zero, m.status AS merchant_status "
                "FROM sku s JOIN product p ON p.id = s.product_id JOIN merchant m ON m.id = p.merchant_id "
                "WHERE s.id = ?" + lock,
            ),
            [sku_id],
        )
        if not rows:
            raise DomainError(ErrorCode.NOT_FOUND, "No such SKU.", "skuId")
        info = rows[0]
        product_id, merchant_id = info["product_id"], info["merchant_id"]
        updated = await conn.execute_query_dict(
            sql(
                conn,
                "UPDATE sku SET stock = stock + ? WHERE id = ? AND stock + ? >= 0 AND stock + ? <= ? "
                "RETURNING stock, is_active, low_stock_threshold",
            ),
            [delta, sku_id, delta, delta, MAX_STOCK],
        )
        if not updated:
            current = await Sku.filter(id=sku_id).using_db(conn).values_list("stock", flat=True)
            if current and current[0] + delta < 0:
                raise DomainError(ErrorCode.INSUFFICIENT_STOCK, f"Only {current[0]} in stock.", "delta")
            raise DomainError(ErrorCode.INVALID_STOCK, f"Stock cannot exceed {MAX_STOCK}.", "delta")
        sku = updated[0]
        stock_after = int(sku["stock"])
        active = bool(sku["is_active"])
        if active:
            product = (
                await conn.execute_query_dict(
                    sql(
                        conn,
                        "UPDATE product SET total_stock = total_stock + ? WHERE id = ? RETURNING total_stock, status, delist_reason",
                    ),
                    [delta, product_id],
                )
            )[0]
        else:  # a retired SKU's stock is not on sale: the product's total is unchanged
            product = (
                await conn.execute_query_dict(
                    sql(conn, "SELECT total_stock, status, delist_reason FROM product WHERE id = ?"), [product_id]
                )
            )[0]
        total_after = int(product["total_stock"])
        movement = await StockMovement.create(
            sku_id=sku_id,
            delta=delta,
            stock_after=stock_after,
            reason=reason,
            reference_type=reference_type[:32],
            reference_id=str(reference_id)[:64],
            actor_id=actor_id,
            using_db=conn,
        )
        channel = merchant_channel(merchant_id)
        threshold = sku["low_stock_threshold"]
        if threshold is None:
            threshold = info["merchant_threshold"]
        if active and delta < 0 and stock_after <= threshold < stock_after - delta:
            emit(channel, LowStock(sku_id, product_id, stock_after))
        if active and (stock_after == 0) != (stock_after - delta == 0):
            # Sold out or back in stock: the storefront shows it (and the product may be
            # delisted or relisted below). Other stock counts may show late, by the cache's TTL.
            public_data_changed()
        if active and refresh_listing:
            await _follow_stock(conn, channel, product_id, product, total_after, info)
    return StockChange(sku_id, product_id, delta, stock_after, total_after, movement.id)


async def reserve(
    conn,
    wanted: list[tuple[Sku, int]],
    *,
    reference_type: str,
    reference_id: str,
    actor_id: int | None,
    field: str = "items",
) -> None:
    """Take `quantity` of each (SKU, quantity) for an order, inside the caller's unit of work, in
    three statements for any number of lines: the products' totals (which locks the product rows
    first, in ascending id order, as `adjust_stock` does one by one), the SKUs' stock (each
    conditional: never below zero, and only while the SKU is active, so the products' totals
    stay the sum of their active SKUs), the movements. The SKUs come with their product and
    merchant (`select_related("product", "product__merchant")`); distinct SKUs. A line that
    cannot be served refuses the whole reservation (INSUFFICIENT_STOCK, or PRODUCT_UNAVAILABLE
    for a SKU retired meanwhile), naming the first such line in (product, SKU) order; the caller's
    unit then rolls back."""
    if not wanted:
        return
    for _, quantity in wanted:
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 < quantity <= MAX_STOCK:
            raise DomainError(
                ErrorCode.INVALID_STOCK, f"The change must be a non-zero integer up to {MAX_STOCK}.", "delta"
            )
    wanted = sorted(wanted, key=lambda w: (w[0].product_id, w[0].id))
    totals: dict[int, int] = {}
    for sku, quantity in wanted:
        totals[sku.product_id] = totals.get(sku.product_id, 0) - quantity
    products = {
        row["id"]: row
        for row in await add_per_row(
            conn, "product", "total_stock", totals, returning="id, total_stock, status, delist_reason", lock=True
        )
    }
    taken = {
        row["id"]: row
        for row in await add_per_row(
            conn,
            "sku",
            "stock",
            {sku.id: -quantity for sku, quantity in wanted},
            condition="is_active AND stock + {amount} >= 0",
            returning="id, stock, low_stock_threshold",
        )
    }
    if len(taken) < len(wanted):  # refused: say why for the first line that could not be served
        sku = next(s for s, _ in wanted if s.id not in taken)
        rows = await Sku.filter(id=sku.id).using_db(conn).values_list("is_active", flat=True)
        if rows and not rows[0]:
            raise DomainError(ErrorCode.PRODUCT_UNAVAILABLE, f"{sku.product.title} is not on sale.", field)
        raise DomainError(ErrorCode.INSUFFICIENT_STOCK, f"Not enough {sku.product.title} in stock.", field)
    await StockMovement.bulk_create(
        [
            StockMovement(
                sku_id=sku.id,
                delta=-quantity,
                stock_after=int(taken[sku.id]["stock"]),
                reason=ORDER_RESERVE,
                reference_type=reference_type[:32],
                reference_id=str(reference_id)[:64],
                actor_id=actor_id,
            )
            for sku, quantity in wanted
        ],
        using_db=conn,
    )
    for sku, quantity in wanted:
        merchant = sku.product.merchant
        stock_after = int(taken[sku.id]["stock"])
        threshold = taken[sku.id]["low_stock_threshold"]
        if threshold is None:
            threshold = merchant.low_stock_threshold
        if stock_after <= threshold < stock_after + quantity:
            emit(merchant_channel(merchant.id), LowStock(sku.id, sku.product_id, stock_after))
        if stock_after == 0:  # sold out: the storefront shows it (the response cache starts anew)
            public_data_changed()
    for product_id, product in products.items():
        merchant = next(s.product.merchant for s, _ in wanted if s.product_id == product_id)
        info = {"auto_delist_at_zero": merchant.auto_delist_at_zero, "merchant_status": merchant.status}
        await _follow_stock(conn, merchant_channel(merchant.id), product_id, product, int(product["total_stock"]), info)


async def _follow_stock(conn, channel: str, product_id: int, product: dict, total_after: int, info: dict) -> None:
    """Automatic delisting at zero stock and relisting on restock (CAT-4)."""
    if total_after == 0 and product["status"] == LISTED and info["auto_delist_at_zero"]:
        await (
            Product.filter(id=product_id, status=LISTED)
            .using_db(conn)
            .update(status=DELISTED, delist_reason="OUT_OF_STOCK")
        )
        emit(channel, ProductDelisted(product_id, "OUT_OF_STOCK"))
    elif (
        total_after > 0
        and product["status"] == DELISTED
        and product["delist_reason"] == "OUT_OF_STOCK"
        and info["merchant_status"] == merchants.ACTIVE
    ):
        await (
            Product.filter(id=product_id, status=DELISTED, delist_reason="OUT_OF_STOCK")
            .using_db(conn)
            .update(status=LISTED, delist_reason="", listed_at=clock.now())
        )
        emit(channel, ProductRelisted(product_id))


# --------------------------------------------------------------------------- staff


async def _sku_for_staff(grants: Grants, sku_id: int) -> Sku:
    sku = await Sku.get_or_none(id=sku_id).select_related("product")
    if sku is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such SKU.", "skuId")
    require_merchant(grants, sku.product.merchant_id, PRODUCTS_PERMISSION)
    return sku


async def staff_adjust_stock(grants: Grants, actor_id: int, sku_id: int, delta: int, reason: str) -> Sku:
    """A merchant's staff changes stock by hand (restock, stock-take, write-off)."""
    await _sku_for_staff(grants, sku_id)
    if reason not in STAFF_REASONS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Staff may record {', '.join(STAFF_REASONS)}.", "reason")
    await adjust_stock(sku_id, delta, reason, reference_type="STAFF", reference_id=str(actor_id), actor_id=actor_id)
    return await Sku.get(id=sku_id)


async def low_stock_skus(grants: Grants, merchant_id: int):
    """Active SKUs of the merchant at or below their threshold: a queryset to paginate."""
    merchant = await Merchant.get_or_none(id=merchant_id)
    if merchant is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such merchant.", "merchantId")
    require_merchant(grants, merchant_id, PRODUCTS_PERMISSION)
    return Sku.filter(product__merchant_id=merchant_id, is_active=True).filter(
        Q(low_stock_threshold__isnull=False, stock__lte=F("low_stock_threshold"))
        | Q(low_stock_threshold__isnull=True, stock__lte=merchant.low_stock_threshold)
    )


async def movements(grants: Grants, sku_id: int):
    """A SKU's stock movements for its merchant's staff: a queryset to paginate."""
    await _sku_for_staff(grants, sku_id)
    return StockMovement.filter(sku_id=sku_id)
