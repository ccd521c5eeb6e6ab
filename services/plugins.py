"""Loading pluggable integrations named in settings ("memory", or "package.module:Class")."""

from __future__ import annotations

import importlib
from typing import Any


def load_plugin(spec: str, builtins: dict[str, type], **kwargs: Any) -> Any:
    if spec in builtins:
        return builtins[spec](**kwargs)
    module_name, _, class_name = spec.partition(":")
    if not class_name:
        raise ValueError(f"unknown plugin {spec!r}: use one of {sorted(builtins)} or 'module:Class'")
    return getattr(importlib.import_module(module_name), class_name)(**kwargs)
