"""The hand-written statement helpers (services.core.sql) on both databases: one UPDATE for many
rows with a per-row amount and condition, rows read alongside, inserts that set ids, joined reads."""

from __future__ import annotations

from tortoise import connections

from models.accounts import User
from models.catalog import Product, Sku
from models.ledger import LedgerAccount
from models.merchants import Merchant
from services.core.events import unit_of_work
from services.core.sql import add_per_row, columns, insert_all, instance
from tests.catalog_factories import make_merchant, make_product, sku


async def _accounts(*balances: int) -> list[LedgerAccount]:
    rows = [
        LedgerAccount(owner_type="USER", owner_id=i, purpose="WALLET", currency="CNY", balance=b)
        for i, b in enumerate(balances, start=1)
    ]
    async with unit_of_work() as conn:
        await insert_all(conn, rows)
    return rows


async def test_insert_all_sets_the_ids_in_order():
    rows = await _accounts(10, 20, 30)
    assert all(r.id for r in rows) and [r.id for r in rows] == sorted(r.id for r in rows)
    stored = {a.id: (a.owner_id, a.balance) for a in await LedgerAccount.all()}
    assert [stored[r.id] for r in rows] == [(1, 10), (2, 20), (3, 30)]


async def test_add_per_row_moves_many_rows_by_their_own_amounts_under_a_condition():
    a, b, c, d = await _accounts(10, 20, 30, 40)
    async with unit_of_work() as conn:
        for lock in (False, True):
            rows = await add_per_row(
                conn,
                "ledger_account",
                "balance",
                {a.id: -5, b.id: -25, c.id: 1},
                condition="balance + {amount} >= 0",
                returning="id, balance",
                lock=lock,
                also_read=[d.id],
            )
            assert sorted((r["id"], int(r["balance"])) for r in rows) == sorted(
                [(a.id, 5 if not lock else 0), (c.id, 31 if not lock else 32), (d.id, 40)]
            )  # b would go below zero: neither changed nor returned
        single = await add_per_row(conn, "ledger_account", "balance", {d.id: 2}, returning="id, balance")
        assert [(r["id"], int(r["balance"])) for r in single] == [(d.id, 42)]
        assert await add_per_row(conn, "ledger_account", "balance", {}) == []
        only_read = await add_per_row(conn, "ledger_account", "balance", {}, returning="id", also_read=[b.id])
        assert [r["id"] for r in only_read] == [b.id]
    assert [x.balance for x in await LedgerAccount.filter(id__in=[a.id, b.id, c.id, d.id]).order_by("id")] == [
        0,
        20,
        32,
        42,
    ]


async def test_a_joined_read_gives_what_select_related_gives():
    merchant = await make_merchant()
    await make_product(merchant, title="连衣裙", skus=[sku("J1", stock=3)])
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        f"SELECT {columns(Sku, 's')}, {columns(Product, 'p', 'p__')}, {columns(Merchant, 'm', 'm__')} "
        "FROM sku s JOIN product p ON p.id = s.product_id JOIN merchant m ON m.id = p.merchant_id"
    )
    read = instance(
        Sku, rows[0], product=instance(Product, rows[0], "p__", merchant=instance(Merchant, rows[0], "m__"))
    )
    orm = await Sku.get(code="J1").select_related("product", "product__merchant")
    for obj, ref in ((read, orm), (read.product, orm.product), (read.product.merchant, orm.product.merchant)):
        assert {f: getattr(obj, f) for f in type(obj)._meta.fields_db_projection} == {
            f: getattr(ref, f) for f in type(ref)._meta.fields_db_projection
        }
    assert isinstance(read.product.merchant, Merchant) and read.product.merchant.owner_id
    assert await User.filter(id=read.product.merchant.owner_id).exists()
