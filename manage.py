"""Project commands: `python -m manage migrate | makemigrations | check-migrations | seed-demo | export-schema | rotate-keys`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as run_migrations
from tortoise.migrations.autodetector import MigrationAutodetector

import settings
import wiring


async def reset_database() -> None:
    """Drop everything in the configured database (tests and benchmarks only)."""
    if settings.IS_POSTGRES:
        import asyncpg

        conn = await asyncpg.connect(settings.DATABASE_URL.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await conn.close()
    elif settings.IS_SQLITE:
        from pathlib import Path

        Path(settings.DATABASE_URL.removeprefix("sqlite://")).unlink(missing_ok=True)


async def migrate() -> None:
    """Apply migrations, then sync the built-in roles and permissions (Procfile `release`)."""
    from services.accounts.access import sync_catalog
    from services.merchants.merchants import ensure_self_operated_merchant

    await run_migrations(config=settings.TORTOISE_ORM)
    await Tortoise.close_connections()
    # The migration run leaves Tortoise with historical model states: start afresh.
    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        await sync_catalog()
        await ensure_self_operated_merchant()
    finally:
        await Tortoise.close_connections()
    print("migrated", settings.DATABASE_URL.split("@")[-1])


async def pending_model_changes() -> list[str]:
    """Names of migrations `makemigrations` would write: empty when models and migrations agree."""
    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        writers = await MigrationAutodetector(Tortoise.apps, settings.TORTOISE_ORM["apps"]).changes()
        return [w.name for w in writers]
    finally:
        await Tortoise.close_connections()


async def seed_demo() -> None:
    from services.demo import seed as demo

    wiring.install()

    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        for line in await demo.seed():
            print(line)
    finally:
        await Tortoise.close_connections()


async def rotate_keys(batch_size: int) -> int:
    """Re-encrypt every `*_cipher` column under the first key of DATA_KEYS (services/key_rotation)."""
    from services.accounts import key_rotation

    wiring.install()

    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        reports = await key_rotation.rotate_all(batch_size)
    finally:
        await Tortoise.close_connections()
    for report in reports:
        print(report)
    failed = sum(r.failed for r in reports)
    print(
        f"rotated {sum(r.rotated for r in reports)} of {sum(r.scanned for r in reports)} values; {failed} undecryptable"
    )
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="manage")
    parser.add_argument(
        "command",
        choices=["migrate", "makemigrations", "check-migrations", "seed-demo", "export-schema", "rotate-keys"],
    )
    parser.add_argument("--batch-size", type=int, default=500, help="rotate-keys: rows per batch")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        asyncio.run(migrate())
    elif args.command == "makemigrations":
        from tortoise.cli import main as tortoise_main

        sys.argv = ["tortoise", "makemigrations"]
        tortoise_main()
    elif args.command == "check-migrations":
        pending = asyncio.run(pending_model_changes())
        if pending:
            print("models changed without a migration; run `python -m manage makemigrations`")
            return 1
        print("migrations match the models")
    elif args.command == "seed-demo":
        asyncio.run(seed_demo())
    elif args.command == "export-schema":
        from schema.schema import schema

        (settings.BASE_DIR / "schema.graphql").write_text(schema.as_str() + "\n", encoding="utf-8")
        print("wrote schema.graphql")
    elif args.command == "rotate-keys":
        return asyncio.run(rotate_keys(args.batch_size))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
