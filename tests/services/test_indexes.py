"""Every lookup is indexed, checked on the suite's migrated database (PostgreSQL; the
declared indexes on SQLite too):

- every foreign-key column leads an index (joins, the payment step's reads, cascades);
- every index the models declare exists (a migration that adds a field with db_index=True
  does not create it in Tortoise 1.1: this caught one);
- every ORM query in the service and API code (`Model.filter / get / get_or_none / exclude`
  with keyword lookups, found by reading the source) can use an index: at least one of the
  columns it filters on leads one.

Deliberate exceptions are listed with their reasons. A deliberately dropped index fails the
check (last test)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest
from tortoise import Tortoise, connections
from tortoise.transactions import in_transaction

from tests.conftest import requires_postgres

ROOT = Path(__file__).resolve().parents[2]
# Code that queries on a request's or a job's path (the demo seed runs once, on an empty shop).
SCANNED = ("services", "resolvers", "loaders", "subscriptions", "jobs")
NOT_SCANNED = ("services/demo",)
QUERY_METHODS = frozenset({"filter", "get", "get_or_none", "exclude"})
LOOKUPS = frozenset(
    "in not_in gte gt lte lt isnull not_isnull not contains icontains startswith istartswith "
    "endswith iendswith iexact range year month day search".split()
)

# (table, column) foreign keys without an index of their own, and why.
UNINDEXED_FOREIGN_KEYS = {
    ("access_role_permission", "permission_id"): "the permission catalogue: a few dozen rows, read per role",
}
# (table, filtered columns) queries no index serves, and why.
UNINDEXED_QUERIES = {
    ("account_user", ("is_active",)): "the nightly grade job walks every active user anyway",
    ("category", ("is_active",)): "the category tree: hundreds of rows, cached by its loader",
    ("merchant", ("kind",)): "admin list by kind over a table of at most thousands of merchants",
    ("risk_rule", ("enabled", "kind")): "the rule table: a handful of rows",
    ("product", ("gift_grade",)): "only when an admin deletes a grade: a rare check over the catalogue",
}


async def _leading_columns(conn) -> dict[str, set[str]]:
    rows = await conn.execute_query_dict(
        """SELECT t.relname AS tbl, a.attname AS col
           FROM pg_index i
           JOIN pg_class t ON t.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]"""
    )
    leading: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        leading[row["tbl"]].add(row["col"])
    return leading


async def _index_column_lists(conn) -> dict[str, set[tuple[str, ...]]]:
    if conn.capabilities.dialect == "sqlite":
        return await _sqlite_index_column_lists(conn)
    rows = await conn.execute_query_dict(
        """SELECT t.relname AS tbl, array_agg(a.attname ORDER BY k.ord) AS cols
           FROM pg_index i
           JOIN pg_class t ON t.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
           CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
           GROUP BY i.indexrelid, t.relname"""
    )
    lists: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for row in rows:
        lists[row["tbl"]].add(tuple(row["cols"]))
    return lists


async def _sqlite_index_column_lists(conn) -> dict[str, set[tuple[str, ...]]]:
    lists: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for table in {model._meta.db_table for model in _models()}:
        for index in await conn.execute_query_dict(f"PRAGMA index_list('{table}')"):
            columns = await conn.execute_query_dict(f"PRAGMA index_info('{index['name']}')")
            lists[table].add(tuple(column["name"] for column in sorted(columns, key=lambda c: c["seqno"])))
    return lists


async def foreign_keys_without_index(conn) -> list[tuple[str, str]]:
    rows = await conn.execute_query_dict(
        """SELECT c.conrelid::regclass::text AS tbl, a.attname AS col
           FROM pg_constraint c
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
           WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace"""
    )
    leading = await _leading_columns(conn)
    found = {(row["tbl"], row["col"]) for row in rows if row["col"] not in leading[row["tbl"]]}
    return sorted(found - UNINDEXED_FOREIGN_KEYS.keys())


def _models() -> list:
    return [model for app in Tortoise.apps.values() for model in app.values()]


def _column(model, field_name: str) -> str:
    meta = model._meta
    if field_name in meta.fk_fields or field_name in meta.o2o_fields:
        return meta.fields_map[field_name].source_field
    return meta.fields_db_projection.get(field_name, field_name)


def declared_indexes() -> dict[str, set[tuple[str, ...]]]:
    """The column lists the models ask for: db_index / unique fields, Meta.indexes, unique_together."""
    declared: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for model in _models():
        meta = model._meta
        for name, field in meta.fields_map.items():
            if getattr(field, "pk", False) or not (field.index or field.unique) or name in meta.backward_fk_fields:
                continue
            if name in meta.m2m_fields or name in meta.backward_o2o_fields:
                continue
            declared[meta.db_table].add((_column(model, name),))
        for group in (*meta.indexes, *meta.unique_together):
            names = getattr(group, "fields", group)
            declared[meta.db_table].add(tuple(_column(model, name) for name in names))
    return declared


async def declared_indexes_missing(conn) -> list[tuple[str, tuple[str, ...]]]:
    present = await _index_column_lists(conn)
    return sorted(
        (table, columns)
        for table, wanted in declared_indexes().items()
        for columns in wanted
        if columns not in present[table]
    )


def queried_columns() -> dict[tuple[str, tuple[str, ...]], list[str]]:
    """(table, columns filtered on) of every `Model.filter(...)`-like call in the scanned code,
    with where it is. A call that looks up through a relation (`product__zone=…`) is left out."""
    models = {model.__name__: model for model in _models()}
    found: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(NOT_SCANNED):
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in QUERY_METHODS
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in models
                ):
                    continue
                model = models[node.func.value.id]
                lookups = [keyword.arg.split("__") for keyword in node.keywords if keyword.arg]
                if any(len(parts) > 1 and parts[1] not in LOOKUPS for parts in lookups):
                    continue  # through a relation: the plan can start from the related table's index
                columns = []
                for parts in lookups:
                    if parts[0] == "pk":
                        parts[0] = model._meta.pk_attr
                    columns.append(_column(model, parts[0]))
                if columns:
                    found[(model._meta.db_table, tuple(columns))].append(f"{relative}:{node.lineno}")
    return found


async def queries_without_index(conn) -> list[str]:
    leading = await _leading_columns(conn)
    return sorted(
        f"{table} {columns} at {', '.join(places)}"
        for (table, columns), places in queried_columns().items()
        if not set(columns) & leading[table] and (table, columns) not in UNINDEXED_QUERIES
    )


@requires_postgres
async def test_every_foreign_key_leads_an_index():
    assert await foreign_keys_without_index(connections.get("default")) == []


async def test_every_index_the_models_declare_exists():
    """On SQLite too: its table rebuilds in earlier migrations dropped indexes (0018 restores them)."""
    assert await declared_indexes_missing(connections.get("default")) == []


@requires_postgres
async def test_every_query_in_the_code_can_use_an_index():
    queried = queried_columns()
    assert len(queried) > 200  # the scan sees the code (a broken scan would pass vacuously)
    assert ("orders", ("payment_id",)) in queried
    assert await queries_without_index(connections.get("default")) == []


@requires_postgres
async def test_the_exceptions_are_still_needed():
    """An allow-listed gap that an index now covers, or a query that no longer exists, leaves the list."""
    conn = connections.get("default")
    leading = await _leading_columns(conn)
    assert [key for key in UNINDEXED_FOREIGN_KEYS if key[1] in leading[key[0]]] == []
    queried = queried_columns()
    assert [key for key in UNINDEXED_QUERIES if key not in queried or set(key[1]) & leading[key[0]]] == []


class _Rollback(Exception):
    pass


@requires_postgres
async def test_a_dropped_index_fails_the_checks():
    """DDL is transactional on PostgreSQL: the index comes back with the rollback."""
    dropped: dict[str, list] = {}
    with pytest.raises(_Rollback):
        async with in_transaction() as conn:
            [row] = await conn.execute_query_dict(
                """SELECT c.relname AS name FROM pg_index i
                   JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]
                   WHERE t.relname = 'orders' AND a.attname = 'payment_id'"""
            )
            await conn.execute_script(f'DROP INDEX "{row["name"]}"')
            dropped["fk"] = await foreign_keys_without_index(conn)
            dropped["declared"] = await declared_indexes_missing(conn)
            dropped["queries"] = await queries_without_index(conn)
            raise _Rollback
    assert dropped["fk"] == [("orders", "payment_id")]
    assert dropped["declared"] == [("orders", ("payment_id",))]
    assert any(line.startswith("orders ('payment_id',)") for line in dropped["queries"])
    assert await foreign_keys_without_index(connections.get("default")) == []


@requires_postgres
async def test_the_sales_zone_lines_have_their_partial_index():
    """migrations/0022: the admin statistics read the lines of the consignment sales zones
    through it (a sequential scan of every order line without it); no model declares it."""
    from services.consignment.stats import SALES_ZONES

    rows = await connections.get("default").execute_query_dict(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'order_line' AND indexname = 'order_line_sales_zone_idx'"
    )
    assert len(rows) == 1
    assert all(f"'{zone}'" in rows[0]["indexdef"] for zone in SALES_ZONES)
