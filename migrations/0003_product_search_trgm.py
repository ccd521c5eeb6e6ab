"""Trigram index for storefront keyword search (CAT-4), PostgreSQL only.

`services/catalog/search.py` matches keywords with `search_text ILIKE '%term%'`. A trigram GIN
index (pg_trgm, `gin_trgm_ops`) serves such infix patterns, also for Chinese text, which
`to_tsvector('simple', ...)` does not split into words. SQLite has no such index: there
the same query scans, which is fine for development data.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS product_search_trgm ON product USING gin (search_text gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS product_search_trgm"]  # the extension may serve others: kept


async def _run_on_postgres(statements, schema_editor) -> None:
    if schema_editor.DIALECT != "postgres":
        return
    for statement in statements:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(statement)
        else:
            await schema_editor.client.execute_script(statement)


async def forward(apps, schema_editor) -> None:
    await _run_on_postgres(FORWARD, schema_editor)


async def backward(apps, schema_editor) -> None:
    await _run_on_postgres(BACKWARD, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("models", "0002_merchants_catalog_content")]

    initial = False

    operations = [
        ops.RunPython(forward, backward),
    ]
