"""SQL dialect helpers for the few statements written by hand (locks, bulk updates, reports)."""

from __future__ import annotations


def sql(conn, text: str) -> str:
    """`?` placeholders for SQLite; `$1, $2 ...` for PostgreSQL (asyncpg)."""
    if conn.capabilities.dialect != "postgres":
        return text
    parts = text.split("?")
    return "".join(p + (f"${i}" if i < len(parts) else "") for i, p in enumerate(parts, 1))
