"""Project commands: `python -m manage migrate | makemigrations | check-migrations | seed-demo | export-schema |
rotate-keys | create-admin | run-job | generate-keys` (docs/deployment.md says when to use each)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as run_migrations
from tortoise.migrations.autodetector import MigrationAutodetector

import logs
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


async def create_admin(phone: str, nickname: str) -> int:
    """Grant the platform admin role to the user with this phone (created if new); idempotent."""
    from services.accounts import operators
    from services.core.errors import DomainError

    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        done = await operators.create_admin(phone, nickname)
    except DomainError as exc:
        print(f"{exc.code.value}: {exc.message}", file=sys.stderr)
        return 2
    finally:
        await Tortoise.close_connections()
    what = "created" if done.created else "already existed"
    print(f"admin user {done.user_id} ({done.phone}) {what}; role admin granted; sign in by SMS code")
    return 0


async def run_job(name: str) -> int:
    """Run one scheduled job now, whether due or not (it still takes the job's lease)."""
    from jobs.runner import REGISTRY, run_now

    wiring.install()
    if name not in REGISTRY:
        print(f"unknown job {name!r}; jobs: {', '.join(sorted(REGISTRY))}", file=sys.stderr)
        return 2
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        summary = await run_now(REGISTRY[name])
    finally:
        await Tortoise.close_connections()
    print(f"{name}: {summary}")
    return 0 if summary is not None else 1


def generate_keys() -> None:
    """Fresh values for DATA_KEYS, DATA_HASH_KEY and SECRET_KEY, for a new installation's .env."""
    import secrets

    from cryptography.fernet import Fernet

    print(f"SECRET_KEY={secrets.token_urlsafe(48)}")
    print(f"DATA_KEYS={Fernet.generate_key().decode()}")
    print(f"DATA_HASH_KEY={secrets.token_urlsafe(48)}")


COMMANDS = [
    "migrate",
    "makemigrations",
    "check-migrations",
    "seed-demo",
    "export-schema",
    "rotate-keys",
    "create-admin",
    "run-job",
    "generate-keys",
]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="manage")
    parser.add_argument(
        "command",
        choices=COMMANDS,
    )
    parser.add_argument("name", nargs="?", help="run-job: the job's name")
    parser.add_argument("--phone", help="create-admin: the admin's phone number")
    parser.add_argument("--nickname", default="", help="create-admin: a display name for a new user")
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
        from schema.schema import public_schema

        schema = public_schema()
        (settings.BASE_DIR / "schema.graphql").write_text(schema.as_str() + "\n", encoding="utf-8")
        print("wrote schema.graphql")
    elif args.command == "rotate-keys":
        return asyncio.run(rotate_keys(args.batch_size))
    elif args.command == "create-admin":
        if not args.phone:
            parser.error("create-admin needs --phone")
        return asyncio.run(create_admin(args.phone, args.nickname))
    elif args.command == "run-job":
        if not args.name:
            parser.error("run-job needs the job's name")
        return asyncio.run(run_job(args.name))
    elif args.command == "generate-keys":
        generate_keys()
    return 0


if __name__ == "__main__":
    logs.configure()
    sys.exit(main(sys.argv[1:]))
