"""Collects the permission-matrix rows that each domain keeps in tests/api/ops_*.py.

Each module defines OPERATIONS: {(root, field): "an operation exercising it"} (None for
subscriptions, tested over WebSocket). test_permission_matrix checks every protected field
of the schema has a row.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def collect_operations() -> dict:
    operations: dict = {}
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name.startswith("ops_"):
            operations.update(importlib.import_module(f"tests.api.{module.name}").OPERATIONS)
    return operations
