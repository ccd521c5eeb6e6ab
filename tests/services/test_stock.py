"""Stock (CAT-4, ORD-3): conditional updates, movement journal, low-stock alerts after
commit, automatic delisting at zero and relisting on restock; no oversell under
concurrency (PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from models.catalog import Product, Sku, StockMovement
from services.accounts.access import load_grants
from services.catalog import products as catalog
from services.catalog import stock
from services.core import events
from services.core.errors import DomainError
from tests.catalog_factories import make_merchant, make_product, make_staff, owner_grants, sku
from tests.conftest import requires_postgres


async def _state(sku_id: int) -> tuple:
    s = await Sku.get(id=sku_id)
    p = await Product.get(id=s.product_id)
    return s.stock, p.total_stock, p.status, p.delist_reason, await StockMovement.filter(sku_id=sku_id).count()


async def test_adjust_records_movement_and_total():
    merchant = await make_merchant()
    product = await make_product(merchant, skus=[sku("A", stock=10), sku("B", stock=5)])
    a = await Sku.get(code="A")
    change = await stock.adjust_stock(a.id, -3, stock.ORDER_RESERVE, reference_type="ORDER", reference_id="42")
    assert (change.stock_after, change.total_stock_after) == (7, 12)
    movement = await StockMovement.get(id=change.movement_id)
    assert (movement.delta, movement.stock_after, movement.reason, movement.reference_type, movement.reference_id) == (
        -3,
        7,
        "ORDER_RESERVE",
        "ORDER",
        "42",
    )
    assert (await Product.get(id=product.id)).total_stock == 12


async def test_never_below_zero_and_nothing_written():
    merchant = await make_merchant()
    await make_product(merchant, skus=[sku("A", stock=2)])
    a = await Sku.get(code="A")
    before = await _state(a.id)
    with pytest.raises(DomainError) as caught:
        await stock.adjust_stock(a.id, -3, stock.ORDER_RESERVE)
    assert caught.value.code.value == "INSUFFICIENT_STOCK"
    for delta in (0, 10**7 + 1):
        with pytest.raises(DomainError) as caught:
            await stock.adjust_stock(a.id, delta, stock.ADJUST)
        assert caught.value.code.value == "INVALID_STOCK"
    with pytest.raises(DomainError) as caught:
        await stock.adjust_stock(999_999, 1, stock.ADJUST)
    assert caught.value.code.value == "NOT_FOUND"
    assert await _state(a.id) == before


async def test_low_stock_alert_once_when_crossing_after_commit(published):
    merchant = await make_merchant(low_stock_threshold=5)
    product = await make_product(merchant, skus=[sku("A", stock=8), sku("B", stock=8, low_stock_threshold=2)])
    a, b = await Sku.get(code="A"), await Sku.get(code="B")
    await stock.adjust_stock(a.id, -2, stock.ADJUST)  # 6: above
    assert published == []
    await stock.adjust_stock(a.id, -1, stock.ADJUST)  # 5: crosses the merchant's threshold
    await stock.adjust_stock(a.id, -1, stock.ADJUST)  # 4: already below, no second alert
    await stock.adjust_stock(b.id, -5, stock.ADJUST)  # 3: above its own threshold of 2
    assert published == [
        (f"merchant:{merchant.id}", {"type": "low_stock", "skuId": str(a.id), "productId": str(product.id), "stock": 5})
    ]
    published.clear()
    # Rolled back: no event.
    with pytest.raises(RuntimeError):
        async with events.unit_of_work():
            await stock.adjust_stock(b.id, -2, stock.ADJUST)
            raise RuntimeError("rollback")
    assert published == [] and (await Sku.get(id=b.id)).stock == 3


async def test_auto_delist_at_zero_and_relist_on_restock(published):
    merchant = await make_merchant()
    product = await make_product(merchant, skus=[sku("A", stock=1), sku("B", stock=1)])
    a, b = await Sku.get(code="A"), await Sku.get(code="B")
    await stock.adjust_stock(a.id, -1, stock.ORDER_RESERVE)
    assert (await Product.get(id=product.id)).status == "LISTED"  # B still has one
    await stock.adjust_stock(b.id, -1, stock.ORDER_RESERVE)
    p = await Product.get(id=product.id)
    assert (p.status, p.delist_reason, p.total_stock) == ("DELISTED", "OUT_OF_STOCK", 0)
    await stock.adjust_stock(a.id, 3, stock.RESTOCK)
    p = await Product.get(id=product.id)
    assert (p.status, p.delist_reason, p.total_stock) == ("LISTED", "", 3)
    kinds = [m["type"] for _, m in published]
    assert kinds.count("product_delisted") == 1 and kinds.count("product_relisted") == 1


async def test_manual_delist_is_not_undone_by_restock_and_setting_off_keeps_listed():
    merchant = await make_merchant()
    grants = await owner_grants(merchant)
    product = await make_product(merchant, skus=[sku("A", stock=1)])
    await catalog.delist_product(grants, product.id)
    a = await Sku.get(code="A")
    await stock.adjust_stock(a.id, -1, stock.ADJUST)
    await stock.adjust_stock(a.id, 5, stock.RESTOCK)
    p = await Product.get(id=product.id)
    assert (p.status, p.delist_reason) == ("DELISTED", "MANUAL")
    keep = await make_merchant(auto_delist_at_zero=False)
    other = await make_product(keep, skus=[sku("K", stock=1)])
    await stock.adjust_stock((await Sku.get(code="K")).id, -1, stock.ORDER_RESERVE)
    assert (await Product.get(id=other.id)).status == "LISTED"


async def test_staff_adjust_and_queries_are_scoped():
    merchant, other = await make_merchant(low_stock_threshold=3), await make_merchant()
    await make_product(merchant, skus=[sku("A", stock=10), sku("B", stock=2)])
    a = await Sku.get(code="A")
    staff, stranger = await make_staff(merchant), await make_staff(other)
    mine, theirs = await load_grants(staff.id), await load_grants(stranger.id)
    with pytest.raises(DomainError) as caught:
        await stock.staff_adjust_stock(theirs, stranger.id, a.id, -1, stock.ADJUST)
    assert caught.value.code.value == "FORBIDDEN"
    with pytest.raises(DomainError) as caught:
        await stock.staff_adjust_stock(mine, staff.id, a.id, -1, stock.ORDER_RESERVE)
    assert caught.value.code.value == "INVALID_INPUT"
    assert (await Sku.get(id=a.id)).stock == 10
    updated = await stock.staff_adjust_stock(mine, staff.id, a.id, -8, stock.DAMAGE)
    assert updated.stock == 2
    low = await (await stock.low_stock_skus(mine, merchant.id)).order_by("code")
    assert [s.code for s in low] == ["A", "B"]
    for call in (stock.low_stock_skus(theirs, merchant.id), stock.movements(theirs, a.id)):
        with pytest.raises(DomainError) as caught:
            await call
        assert caught.value.code.value == "FORBIDDEN"
    movements = await (await stock.movements(mine, a.id)).order_by("id")
    assert [(m.reason, m.delta, m.actor_id) for m in movements] == [
        ("INITIAL", 10, merchant.owner_id),
        ("DAMAGE", -8, staff.id),
    ]


@requires_postgres
async def test_concurrent_reservations_never_oversell():
    merchant = await make_merchant()
    product = await make_product(merchant, skus=[sku("HOT", stock=10)])
    hot = await Sku.get(code="HOT")

    async def reserve() -> bool:
        try:
            await stock.adjust_stock(hot.id, -1, stock.ORDER_RESERVE)
            return True
        except DomainError as exc:
            assert exc.code.value == "INSUFFICIENT_STOCK"
            return False

    results = await asyncio.gather(*(reserve() for _ in range(20)))
    assert results.count(True) == 10
    assert (await Sku.get(id=hot.id)).stock == 0
    p = await Product.get(id=product.id)
    assert (p.total_stock, p.status) == (0, "DELISTED")
    assert await StockMovement.filter(sku_id=hot.id, reason="ORDER_RESERVE").count() == 10
    assert [
        m.stock_after for m in await StockMovement.filter(sku_id=hot.id, reason="ORDER_RESERVE").order_by("stock_after")
    ] == list(range(10))


async def _for_checkout(*codes: str) -> list[Sku]:
    return [await Sku.get(code=c).select_related("product", "product__merchant") for c in codes]


async def test_reserve_takes_every_line_at_once_or_none(published):
    merchant = await make_merchant(low_stock_threshold=3)
    first = await make_product(merchant, skus=[sku("A", stock=5), sku("B", stock=4)])
    second = await make_product(merchant, skus=[sku("C", stock=1)])
    a, b, c = await _for_checkout("A", "B", "C")
    async with events.unit_of_work() as conn:
        await stock.reserve(conn, [(c, 1), (a, 2), (b, 1)], reference_type="PAYMENT", reference_id="7", actor_id=None)
    assert await _state(a.id) == (3, 6, "LISTED", "", 2)  # the initial movement and this one
    assert (await Sku.get(id=b.id)).stock == 3
    p = await Product.get(id=second.id)
    assert (p.total_stock, p.status, p.delist_reason) == (0, "DELISTED", "OUT_OF_STOCK")
    moved = (
        await StockMovement.filter(reason="ORDER_RESERVE")
        .order_by("sku_id")
        .values_list("sku_id", "delta", "stock_after")
    )
    assert moved == [(a.id, -2, 3), (b.id, -1, 3), (c.id, -1, 0)]
    assert {m["type"] for _, m in published} == {"low_stock", "product_delisted"}
    assert sorted(m["skuId"] for _, m in published if m["type"] == "low_stock") == sorted([str(a.id), str(b.id)])

    # One line short: nothing taken, the first short line (product, SKU order) named.
    before = [await _state(s.id) for s in (a, b)]
    with pytest.raises(DomainError) as caught:
        async with events.unit_of_work() as conn:
            await stock.reserve(conn, [(b, 9), (a, 1)], reference_type="PAYMENT", reference_id="8", actor_id=None)
    assert (caught.value.code.value, caught.value.message) == (
        "INSUFFICIENT_STOCK",
        f"Not enough {first.title} in stock.",
    )
    assert [await _state(s.id) for s in (a, b)] == before

    # A SKU retired after the checkout read it is not sold (the product's total stays the sum
    # of its active SKUs).
    await Sku.filter(id=b.id).update(is_active=False)
    with pytest.raises(DomainError) as caught:
        async with events.unit_of_work() as conn:
            await stock.reserve(conn, [(a, 1), (b, 1)], reference_type="PAYMENT", reference_id="9", actor_id=None)
    assert caught.value.code.value == "PRODUCT_UNAVAILABLE"
    assert [await _state(s.id) for s in (a, b)] == before


@requires_postgres
async def test_concurrent_checkout_reservations_of_two_products_in_any_order_never_deadlock_or_oversell():
    merchant = await make_merchant()
    await make_product(merchant, skus=[sku("X", stock=30)])
    await make_product(merchant, skus=[sku("Y", stock=30)])
    x, y = await _for_checkout("X", "Y")

    async def checkout(lines) -> bool:
        try:
            async with events.unit_of_work() as conn:
                await stock.reserve(conn, lines, reference_type="PAYMENT", reference_id="1", actor_id=None)
            return True
        except DomainError as exc:
            assert exc.code.value == "INSUFFICIENT_STOCK"
            return False

    results = await asyncio.gather(*(checkout([(x, 2), (y, 1)] if i % 2 else [(y, 1), (x, 2)]) for i in range(20)))
    assert results.count(True) == 15  # X runs out after 15 checkouts of 2
    assert ((await Sku.get(id=x.id)).stock, (await Sku.get(id=y.id)).stock) == (0, 15)
    assert (await Product.get(id=x.product_id)).total_stock == 0
