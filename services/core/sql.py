"""SQL dialect helpers for the few statements written by hand (locks, bulk updates, reports)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tortoise.fields.base import DatabaseDefault


def sql(conn, text: str) -> str:
    """`?` placeholders for SQLite; `$1, $2 ...` for PostgreSQL (asyncpg)."""
    if conn.capabilities.dialect != "postgres":
        return text
    parts = text.split("?")
    return "".join(p + (f"${i}" if i < len(parts) else "") for i, p in enumerate(parts, 1))


def is_postgres(conn) -> bool:
    return conn.capabilities.dialect == "postgres"


def models_from_rows(model: type, rows: Iterable[dict]) -> list:
    """Model instances from rows a hand-written statement returned (`RETURNING *`, `SELECT t.*`),
    converted as Tortoise converts its own reads; extra columns are ignored."""
    return [model._init_from_db(**row) for row in rows]


async def add_per_row(
    conn,
    table: str,
    column: str,
    amounts: Mapping[int, int],
    *,
    condition: str = "",
    returning: str = "id",
    lock: bool = False,
    also_read: Sequence[int] = (),
) -> list[dict]:
    """`UPDATE table SET column = column + <the row's amount> WHERE id = <one of amounts>`, one
    statement for any number of rows; `RETURNING returning` (plain columns). `condition` (SQL,
    `{amount}` stands for the row's amount) must also hold for a row to change: a row that fails
    it is not changed and not returned. `also_read`: ids of other rows whose `returning` columns
    are returned too, unchanged and unlocked (in the same statement on PostgreSQL, a second one
    on SQLite).

    `lock`: the rows are locked in ascending id order, as single-row UPDATEs in id order would
    lock them (a multi-row UPDATE locks in whatever order its plan visits the rows, and two of
    them could deadlock). On PostgreSQL a materialised `SELECT … ORDER BY id FOR NO KEY UPDATE`
    (the lock an UPDATE of non-key columns takes) feeds the UPDATE: every row is locked by it,
    in its order, before the UPDATE can reach it. SQLite serialises writers; one row needs no
    order."""
    ids = sorted(amounts)
    others = [i for i in also_read if i not in amounts]
    where = f" AND ({condition})" if condition else ""
    if not ids:
        if not others:
            return []
        marks = ", ".join("?" for _ in others)
        return await conn.execute_query_dict(
            sql(conn, f"SELECT {returning} FROM {table} WHERE id IN ({marks})"), others
        )
    if is_postgres(conn):
        if len(ids) == 1:
            ctes = ""
            update = (
                f"UPDATE {table} SET {column} = {column} + $1 WHERE id = $2"
                f"{where.format(amount='$1')} RETURNING {returning}"
            )
            params: list[Any] = [amounts[ids[0]], ids[0]]
        else:
            delta = "d.delta"
            params = [ids, [amounts[i] for i in ids]]
            if lock:
                ctes = (
                    f"locked AS MATERIALIZED (SELECT id AS locked_id FROM {table} WHERE id = ANY($1::bigint[]) "
                    "ORDER BY id FOR NO KEY UPDATE), "
                )
                update = (
                    f"UPDATE {table} AS t SET {column} = t.{column} + {delta} FROM locked "
                    "JOIN unnest($1::bigint[], $2::bigint[]) AS d(row_id, delta) ON d.row_id = locked.locked_id "
                    f"WHERE t.id = locked.locked_id{where.format(amount=delta)} RETURNING {returning}"
                )
            else:
                ctes = ""
                update = (
                    f"UPDATE {table} AS t SET {column} = t.{column} + {delta} "
                    "FROM unnest($1::bigint[], $2::bigint[]) AS d(row_id, delta) "
                    f"WHERE t.id = d.row_id{where.format(amount=delta)} RETURNING {returning}"
                )
        if not others:
            text = f"WITH {ctes.removesuffix(', ')} {update}" if ctes else update
            return await conn.execute_query_dict(text, params)
        # The rows read are not changed by the UPDATE: the statement's snapshot shows them as
        # they are.
        text = (
            f"WITH {ctes}moved AS ({update}) SELECT * FROM moved "
            f"UNION ALL SELECT {returning} FROM {table} WHERE id = ANY(${len(params) + 1}::bigint[])"
        )
        return await conn.execute_query_dict(text, [*params, others])
    case = "CASE id " + " ".join("WHEN ? THEN ?" for _ in ids) + " END"
    pairs: list[Any] = [v for i in ids for v in (i, amounts[i])]
    marks = ", ".join("?" for _ in ids)
    text = (
        f"UPDATE {table} SET {column} = {column} + {case} WHERE id IN ({marks})"
        f"{where.format(amount=case)} RETURNING {returning}"
    )
    rows = await conn.execute_query_dict(text, pairs + ids + pairs * condition.count("{amount}"))
    if others:
        marks = ", ".join("?" for _ in others)
        rows += await conn.execute_query_dict(f"SELECT {returning} FROM {table} WHERE id IN ({marks})", others)
    return rows


async def insert_all(conn, objects: list) -> None:
    """Insert model instances of one model in ONE statement and set their ids, which Tortoise's
    `bulk_create` leaves unset: `INSERT … VALUES (…), (…) RETURNING id`. Ids are ascending in
    VALUES order on both databases (a sequence / rowid per row, in order), so the returned ids,
    sorted, are the objects' in order whatever order RETURNING lists them in."""
    if not objects:
        return
    meta = type(objects[0])._meta
    fields = [name for name in meta.fields_db_projection if not meta.fields_map[name].generated]
    values: list[Any] = []
    for obj in objects:
        for name in fields:
            value = getattr(obj, name)
            if isinstance(value, DatabaseDefault):
                raise TypeError(f"{meta.db_table}.{name}: give a value (no database defaults here)")
            values.append(meta.fields_map[name].to_db_value(value, obj))
    columns = ", ".join(f'"{meta.fields_db_projection[name]}"' for name in fields)
    row = "(" + ", ".join("?" for _ in fields) + ")"
    text = (
        f'INSERT INTO "{meta.db_table}" ({columns}) VALUES '
        + ", ".join(row for _ in objects)
        + f' RETURNING "{meta.db_pk_column}"'
    )
    rows = await conn.execute_query_dict(sql(conn, text), values)
    for obj, pk in zip(objects, sorted(r[meta.db_pk_column] for r in rows), strict=True):
        obj.pk = pk
        obj._saved_in_db = True


def columns(model: type, alias: str, prefix: str = "") -> str:
    """The select list of every column of `model` (`alias.col AS "<prefix>col"`), for a hand-written
    read of a row with its to-one relations in one statement; `instance` turns it back into a model.
    The SQL of such a read is built once: Tortoise builds a `select_related` query anew for every
    call, several times the cost of running it."""
    return ", ".join(f'{alias}."{c}" AS "{prefix}{c}"' for c in model._meta.fields_db_projection.values())


def instance(model: type, row: dict, prefix: str = "", **related: Any):
    """A model instance from the columns `columns(model, _, prefix)` selected, with `related`
    instances set as its loaded relations (as `select_related` sets them)."""
    if prefix:
        row = {c: row[prefix + c] for c in model._meta.fields_db_projection.values()}
    obj = model._init_from_db(**row)
    for name, value in related.items():
        object.__setattr__(obj, f"_{name}", value)
    return obj
