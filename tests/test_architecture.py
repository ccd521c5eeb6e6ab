"""Mechanical checks of the project's own rules."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_services_never_import_the_api_layer():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_migrations_match_the_models():
    from tortoise import Tortoise
    from tortoise.migrations.autodetector import MigrationAutodetector

    import settings

    writers = await MigrationAutodetector(Tortoise.apps, settings.TORTOISE_ORM["apps"]).changes()
    assert [w.name for w in writers] == [], "run `python -m manage makemigrations` and commit the migration"
