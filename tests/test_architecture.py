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


def test_every_setting_is_in_the_env_example():
    import re

    names = set(re.findall(r'config\(\s*"([A-Z0-9_]+)"', (ROOT / "settings.py").read_text()))
    example = set(re.findall(r"^# ([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.M))
    assert names - example == set(), "add these settings to .env.example"
    assert example - names == set(), "these are in .env.example but settings.py does not read them"


def test_the_lock_files_pin_every_dependency_exactly():
    for name in ("requirements.txt", "requirements-test.txt"):
        pins = [ln for ln in (ROOT / name).read_text().splitlines() if ln and not ln.startswith((" ", "#"))]
        assert pins and all("==" in ln for ln in pins), name
