"""Merchant names are unique among live merchants only (MER-1).

A name is held by a PENDING, ACTIVE or SUSPENDED merchant; a REJECTED application keeps its
row, its review history and its real name, and no longer blocks the name. So the plain
unique constraint on `merchant.name` is dropped (the model field lost `unique=True`) and a
partial unique index takes its place. It is on `lower(name)`: names compare
case-insensitively ("Tea House" takes "tea house"), as the application service always
checked. The index is what guarantees it, also for concurrent applications on PostgreSQL:
`services.merchants.merchants.apply` turns its violation into MERCHANT_NAME_TAKEN.

Plain SQL that SQLite and PostgreSQL both run. The model cannot declare this index (Tortoise
has no expression partial unique index on SQLite), so the autodetector does not know it:
a later migration that makes SQLite rebuild the `merchant` table must create it again
(`tests/api/test_merchants.py` checks that it exists).

Rows the old code renamed `<name>#<id>` when their name was reused get their name back
(unless it had been cut short to fit 64 characters).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

NAME_INDEX = "merchant_name_live_uidx"  # services/merchants/merchants.py recognises violations by this name

FORWARD = [
    "UPDATE merchant SET name = substr(name, 1, length(name) - length('#' || id)) "
    "WHERE status = 'REJECTED' AND length(name) < 64 AND length(name) > length('#' || id) "
    "AND substr(name, length(name) - length('#' || id) + 1) = '#' || id",
    f"CREATE UNIQUE INDEX {NAME_INDEX} ON merchant (lower(name)) WHERE status <> 'REJECTED'",
]
BACKWARD = [
    f"DROP INDEX IF EXISTS {NAME_INDEX}",
    # One name per row again: rejected rows sharing their name are renamed `<name>#<id>`.
    "UPDATE merchant SET name = substr(name, 1, 64 - length('#' || id)) || '#' || id "
    "WHERE status = 'REJECTED' AND EXISTS "
    "(SELECT 1 FROM merchant other WHERE other.name = merchant.name AND other.id <> merchant.id)",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0003_product_search_trgm")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="Merchant",
            name="name",
            field=fields.CharField(max_length=64),
        ),
        ops.RunSQL(FORWARD, BACKWARD),
    ]
