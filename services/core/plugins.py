"""Pluggable integrations named in settings ("memory", or "package.module:Class")."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def load_plugin(spec: str, builtins: dict[str, type], **kwargs: Any) -> Any:
    if spec in builtins:
        return builtins[spec](**kwargs)
    module_name, _, class_name = spec.partition(":")
    if not class_name:
        raise ValueError(f"unknown plugin {spec!r}: use one of {sorted(builtins)} or 'module:Class'")
    return getattr(importlib.import_module(module_name), class_name)(**kwargs)


class PluginSlot(Generic[T]):
    """One integration instance per process, built on first use from a setting.

    `spec` is read lazily so tests can change settings first; `set()` swaps it (tests).
    """

    def __init__(self, spec: Callable[[], str], builtins: dict[str, type]) -> None:
        self._spec = spec
        self._builtins = builtins
        self._instance: T | None = None

    def get(self) -> T:
        if self._instance is None:
            self._instance = load_plugin(self._spec(), self._builtins)
        return self._instance

    def offer(self, name: str, cls: type) -> None:
        """Make a built-in implementation available under a setting's short name."""
        self._builtins[name] = cls

    def set(self, instance: T | None) -> None:
        self._instance = instance
