"""Masking what other users may see of someone (phones: services.core.phones.mask_phone)."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """阿强 -> 阿*, Alice -> A****: a seller or distributor sees that someone bought, not who."""
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else "***"
