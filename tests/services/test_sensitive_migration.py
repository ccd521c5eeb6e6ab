"""RISK-3 data migration (0009): plain phones already in the database become cipher + blind
index; then `python -m manage rotate-keys` moves them to a new key. Runs in a child process on
its own SQLite file (the migration and the command initialise Tortoise themselves)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

import settings

SCRIPT = r"""
import asyncio, json, os, sqlite3, sys
import settings
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

PATH = settings.DATABASE_URL.removeprefix("sqlite://")
FILLER = {"INT": 1, "BIGINT": 1, "SMALLINT": 1, "REAL": 0.0, "BOOL": 0, "TIMESTAMP": "2026-01-01 00:00:00",
          "JSON": "[]", "TEXT": "x", "VARCHAR": "x", "DATE": "2026-01-01", "DECIMAL": "0", "CHAR": "x"}


def insert(db, table, **values):
    for name, kind, notnull, default, pk in [(r[1], r[2].upper(), r[3], r[4], r[5]) for r in db.execute(f'PRAGMA table_info("{table}")')]:
        if name not in values and notnull and default is None and not pk:
            values[name] = next((v for k, v in FILLER.items() if kind.startswith(k)), "x")
    cols = ", ".join(f'"{c}"' for c in values)
    db.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" for _ in values)})', list(values.values()))


async def main():
    await migrate(config=settings.TORTOISE_ORM, target="models.0008_statistics_indexes")
    await Tortoise.close_connections()
    db = sqlite3.connect(PATH)
    insert(db, "account_user", id=1, phone="+8613712345678", invite_code="PLAIN001")
    insert(db, "account_user", id=2, phone=None, invite_code="PLAIN002")
    insert(db, "account_address", id=1, user_id=1, phone="+8613698765432")
    insert(db, "merchant", id=1, owner_id=1, name="Plain", status="ACTIVE", contact_phone="+8613587654321")
    insert(db, "store", id=1, merchant_id=1, phone="+8613412345678", invite_code="PLAINST1")
    insert(db, "store", id=2, merchant_id=1, phone="", invite_code="PLAINST2")
    insert(db, "payment", id=1, buyer_id=1, idempotency_key="k1")
    insert(db, "orders", id=1, order_no="N1", buyer_id=1, merchant_id=1, payment_id=1,
           address=json.dumps({"recipient": "张三", "phone": "+8613698765432", "detail": "d"}, ensure_ascii=False))
    insert(db, "account_sms_code", id=1, phone="+8613712345678", code_hash="h")
    db.commit()
    db.close()
    await migrate(config=settings.TORTOISE_ORM)
    await Tortoise.close_connections()
    db = sqlite3.connect(PATH)
    db.row_factory = sqlite3.Row
    out = {t: [dict(r) for r in db.execute(f'SELECT * FROM "{t}" ORDER BY id')]
           for t in ("account_user", "account_address", "merchant", "store", "orders", "account_sms_code")}
    out["indexes"] = [r[1] for r in db.execute("PRAGMA index_list('merchant')")]
    print(json.dumps(out, ensure_ascii=False))

try:
    asyncio.run(main())
except BaseException:
    import traceback
    traceback.print_exc()
    sys.stderr.flush()
    os._exit(1)
sys.stdout.flush()
os._exit(0)  # do not wait for the database threads
"""


def _run(args: list[str], db: Path, keys: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite://{db}", "DATA_KEYS": keys}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=180
    )


def test_migration_encrypts_existing_phones_and_rotate_keys_moves_them(tmp_path, monkeypatch):
    from services.core import sensitive

    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    db = tmp_path / "plain.sqlite3"
    done = _run(["-c", SCRIPT], db, key_a)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(done.stdout.strip().splitlines()[-1])

    monkeypatch.setattr(settings, "DATA_KEYS", key_a)
    sensitive.reload_keys()
    try:
        user, no_phone = rows["account_user"]
        assert "phone" not in user
        assert sensitive.decrypt(user["phone_cipher"]) == "+8613712345678"
        assert user["phone_hash"] == sensitive.blind_index("+8613712345678")
        assert no_phone["phone_cipher"] is None and no_phone["phone_hash"] is None
        assert sensitive.decrypt(rows["account_address"][0]["phone_cipher"]) == "+8613698765432"
        assert sensitive.decrypt(rows["merchant"][0]["contact_phone_cipher"]) == "+8613587654321"
        assert sensitive.decrypt(rows["store"][0]["phone_cipher"]) == "+8613412345678"
        assert rows["store"][1]["phone_cipher"] is None
        order = rows["orders"][0]
        assert json.loads(order["address"]) == {"recipient": "张三", "detail": "d"}
        assert sensitive.decrypt(order["address_phone_cipher"]) == "+8613698765432"
        assert rows["account_sms_code"] == []
        assert "merchant_name_live_uidx" in rows["indexes"]  # SQLite rebuilt the table; 0004's index is back
        dump = json.dumps(rows, ensure_ascii=False)
        for plain in ("13712345678", "13698765432", "13587654321", "13412345678"):
            assert plain not in dump

        # rotate-keys under B,A: every value moves; a second run moves nothing
        first = _run(["-m", "manage", "rotate-keys", "--batch-size", "2"], db, f"{key_b},{key_a}")
        assert first.returncode == 0, first.stderr[-3000:]
        assert "rotated 5 of 5 values; 0 undecryptable" in first.stdout, first.stdout
        second = _run(["-m", "manage", "rotate-keys"], db, f"{key_b},{key_a}")
        assert "rotated 0 of 5 values; 0 undecryptable" in second.stdout, second.stdout
        # a ring without the key in use reports the values it cannot open and exits 1
        lost = _run(["-m", "manage", "rotate-keys"], db, Fernet.generate_key().decode())
        assert lost.returncode == 1 and "5 undecryptable" in lost.stdout, lost.stdout
    finally:
        monkeypatch.undo()
        sensitive.reload_keys()
