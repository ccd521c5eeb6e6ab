"""Collects the permission-matrix rows that each domain keeps in tests/api/ops_*.py.

Each module defines OPERATIONS: {(root, field): "an operation exercising it"} (None for
subscriptions, tested over WebSocket), and PUBLIC: the field names meant for anonymous users. test_permission_matrix checks every protected field
of the schema has a row.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def _modules():
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name.startswith("ops_"):
            yield importlib.import_module(f"tests.api.{module.name}")


def collect_operations() -> dict:
    operations: dict = {}
    for module in _modules():
        operations.update(module.OPERATIONS)
    return operations


def collect_public() -> set[str]:
    """Query/Mutation fields that are deliberately open to anonymous users (PUBLIC sets)."""
    public: set[str] = set()
    for module in _modules():
        public |= set(getattr(module, "PUBLIC", ()))
    return public
