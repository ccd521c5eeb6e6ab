"""Mechanical checks of the project's own rules."""

import ast
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


def _bare_event_types(source: str, wire_types: set[str]) -> list[str]:
    """Where a module builds or matches a live event by its wire type instead of its class:
    a dict literal with a "type" key, or a wire type compared, matched or used as a key."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "type" for k in node.keys):
            found.append((node.lineno, 'a dict with a "type" key'))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            if any(k.arg == "type" for k in node.keywords):
                found.append((node.lineno, "dict(type=...)"))
        compared: list[ast.expr] = []
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                compared += side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [side]
        elif isinstance(node, ast.MatchValue):
            compared.append(node.value)
        elif isinstance(node, ast.Dict):
            compared += [k for k in node.keys if k is not None]
        found += [
            (c.lineno, f"the wire type {c.value!r}")
            for c in compared
            if isinstance(c, ast.Constant) and c.value in wire_types
        ]
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_live_events_are_built_and_matched_by_class_not_by_type_string():
    """Services emit typed events (services/<domain>/events.py) and subscriptions match them
    by class: the wire `type` strings live in the event definitions only."""
    import wiring

    wire_types = {cls.type for cls in wiring.LIVE_EVENTS}
    assert _bare_event_types('emit(c, {"type": "x", "id": 1})\nif e.get("type") == "sold": pass', wire_types) == [
        '1: a dict with a "type" key',
        "2: the wire type 'sold'",
    ]
    found = [
        f"{path.relative_to(ROOT)}:{where}"
        for package in ("services", "subscriptions")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "events.py"
        for where in _bare_event_types(path.read_text(), wire_types)
    ]
    assert found == []
