"""RISK-3: phones encrypted at rest, real-name identities.

Adds the `*_cipher` / `*_hash` columns, encrypts the existing plain phones into them
(users: cipher + blind index; addresses, merchants' contact phones, stores: cipher; orders:
the phone moves out of the address snapshot JSON into `address_phone_cipher`), then drops
the plain columns. Pending SMS codes are deleted (they live five minutes; only their phone's
blind index is kept from now on). Needs the production DATA_KEYS / DATA_HASH_KEY in the
environment when it runs: the values are encrypted under the current key.
"""

import json

import settings

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

BATCH = 500

# (table, plain column, cipher column, hash column or None)
PHONE_COLUMNS = [
    ("account_user", "phone", "phone_cipher", "phone_hash"),
    ("account_address", "phone", "phone_cipher", None),
    ("merchant", "contact_phone", "contact_phone_cipher", None),
    ("store", "phone", "phone_cipher", None),
]


def _marks(client, count: int) -> list[str]:
    if client.capabilities.dialect == "postgres":
        return [f"${i}" for i in range(1, count + 1)]
    return ["?"] * count


async def _sqlite_foreign_keys_off(apps, schema_editor) -> None:
    # Removing a column makes SQLite rebuild the table (create, copy, DROP, rename); with
    # foreign keys on, dropping account_user while addresses point at it fails. Only possible
    # outside a transaction, hence `atomic` below is off on SQLite (PostgreSQL stays atomic).
    if schema_editor.client.capabilities.dialect == "sqlite":
        await schema_editor.client.execute_script("PRAGMA foreign_keys = OFF")


async def _sqlite_foreign_keys_on(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "sqlite":
        await schema_editor.client.execute_script("PRAGMA foreign_keys = ON")
        _, broken = await schema_editor.client.execute_query("PRAGMA foreign_key_check")
        if broken:
            raise RuntimeError(f"foreign keys broken by the table rebuilds: {broken[:5]}")


async def _drop_pending_sms_codes(apps, schema_editor) -> None:
    await schema_editor.client.execute_query("DELETE FROM account_sms_code")


async def encrypt_plain_phones(apps, schema_editor) -> None:
    from services.core import sensitive  # the keys of the environment running the migration

    client = schema_editor.client
    for table, plain, cipher, hashed in PHONE_COLUMNS:
        last = 0
        while True:
            a, b = _marks(client, 2)
            _, rows = await client.execute_query(
                f'SELECT id, "{plain}" AS plain FROM "{table}" WHERE id > {a} AND "{plain}" IS NOT NULL'
                f""" AND "{plain}" <> '' ORDER BY id LIMIT {b}""",
                [last, BATCH],
            )
            for row in rows:
                values = [sensitive.encrypt(row["plain"])] + ([sensitive.blind_index(row["plain"])] if hashed else [])
                marks = _marks(client, len(values) + 1)
                sets = f'"{cipher}" = {marks[0]}' + (f', "{hashed}" = {marks[1]}' if hashed else "")
                await client.execute_query(f'UPDATE "{table}" SET {sets} WHERE id = {marks[-1]}', [*values, row["id"]])
            if len(rows) < BATCH:
                break
            last = rows[-1]["id"]
    # Orders: the phone leaves the address snapshot for its own encrypted column.
    cast = "::text" if client.capabilities.dialect == "postgres" else ""
    to_json = "::jsonb" if client.capabilities.dialect == "postgres" else ""
    last = 0
    while True:
        a, b = _marks(client, 2)
        _, rows = await client.execute_query(
            f'SELECT id, address{cast} AS address FROM "orders" WHERE id > {a} AND address IS NOT NULL ORDER BY id LIMIT {b}',
            [last, BATCH],
        )
        for row in rows:
            snapshot = json.loads(row["address"]) if isinstance(row["address"], str) else row["address"]
            if not isinstance(snapshot, dict) or "phone" not in snapshot:
                continue
            phone = snapshot.pop("phone")
            x, y, z = _marks(client, 3)
            await client.execute_query(
                f'UPDATE "orders" SET address = {x}{to_json}, address_phone_cipher = {y} WHERE id = {z}',
                [json.dumps(snapshot, ensure_ascii=False), sensitive.encrypt(phone) if phone else None, row["id"]],
            )
        if len(rows) < BATCH:
            break
        last = rows[-1]["id"]


class Migration(migrations.Migration):
    dependencies = [('models', '0014_agents')]

    initial = False
    atomic = not settings.IS_SQLITE  # see _sqlite_foreign_keys_off

    operations = [
        ops.RunPython(_sqlite_foreign_keys_off),
        ops.CreateModel(
            name='UserIdentity',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='identity', on_delete=OnDelete.CASCADE)),
                ('real_name_cipher', fields.CharField(max_length=512)),
                ('id_number_cipher', fields.CharField(max_length=255)),
                ('id_number_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account_identity', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Real-name verification (实名认证), needed before withdrawals (flexible-employment tax).'},
            bases=['SealedModel', 'Model'],
        ),
        ops.AddField(
            model_name='Address',
            name='phone_cipher',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='Merchant',
            name='contact_phone_cipher',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='Order',
            name='address_phone_cipher',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AlterModelOptions(
            name='SmsCode',
            options={'table': 'account_sms_code', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A one-time sign-in code. Only an HMAC of the code is kept, and only the blind index'},
        ),
        ops.RunPython(_drop_pending_sms_codes),
        ops.AddField(
            model_name='SmsCode',
            name='phone_hash',
            field=fields.CharField(db_index=True, max_length=64),
        ),
        ops.AddField(
            model_name='Store',
            name='phone_cipher',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='User',
            name='phone_cipher',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='User',
            name='phone_hash',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.RunPython(encrypt_plain_phones),
        ops.RemoveField(model_name='Address', name='phone'),
        ops.RemoveField(model_name='Merchant', name='contact_phone'),
        ops.RemoveField(model_name='SmsCode', name='phone'),
        ops.RemoveField(model_name='Store', name='phone'),
        ops.RemoveField(model_name='User', name='phone'),
        # SQLite rebuilt `merchant` to drop contact_phone, losing 0004's partial unique index.
        ops.RunSQL(
            ["CREATE UNIQUE INDEX IF NOT EXISTS merchant_name_live_uidx ON merchant (lower(name)) WHERE status <> 'REJECTED'"],
            [],
        ),
        ops.RunPython(_sqlite_foreign_keys_on),
    ]
