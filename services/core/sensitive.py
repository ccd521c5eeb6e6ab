"""Sensitive values at rest (RISK-3): phone numbers, ID numbers, bank accounts.

- `encrypt` / `decrypt`: Fernet (AES-128-CBC + HMAC-SHA256, from the `cryptography`
  package) under a MultiFernet key ring: the first key of settings.DATA_KEYS encrypts,
  every key decrypts, so keys rotate without downtime (`rotate` re-encrypts a token under
  the current key; `python -m manage rotate-keys` walks the tables).
- `blind_index`: a keyed HMAC-SHA256 of the normalised value, stored beside the cipher
  text so equality lookups (sign-in by phone, uniqueness) work without decrypting. It uses
  its own key (DATA_HASH_KEY), which does not rotate with DATA_KEYS.
- Masks for what a response may show to anyone but the owner.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

import settings


def _derived_key(label: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(f"{label}:{settings.SECRET_KEY}".encode()).digest())


@lru_cache(maxsize=1)
def _fernets() -> tuple[Fernet, ...]:
    keys = [k.strip() for k in settings.DATA_KEYS.split(",") if k.strip()] or [_derived_key("data-key").decode()]
    return tuple(Fernet(k) for k in keys)


@lru_cache(maxsize=1)
def _ring() -> MultiFernet:
    return MultiFernet(list(_fernets()))


@lru_cache(maxsize=1)
def _hash_key() -> bytes:
    return settings.DATA_HASH_KEY.encode() if settings.DATA_HASH_KEY else _derived_key("blind-index")


def reload_keys() -> None:
    """Forget the cached keys (tests and rotation change settings at run time)."""
    _fernets.cache_clear()
    _ring.cache_clear()
    _hash_key.cache_clear()


def encrypt(plain: str) -> str:
    return _ring().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _ring().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a key was dropped before its rows were rotated
        raise ValueError("cannot decrypt: no configured key matches (see DATA_KEYS)") from exc


def rotate(token: str) -> str:
    """The same value encrypted under the current (first) key (ValueError if no key matches)."""
    try:
        return _ring().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot rotate: no configured key matches (see DATA_KEYS)") from exc


def blind_index(value: str) -> str:
    """Keyed hash for equality lookups; 64 hex characters."""
    return hmac.new(_hash_key(), value.strip().encode(), hashlib.sha256).hexdigest()


def mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    """138****8000 style: keep the ends, star the rest (never fewer than 4 stars)."""
    if len(value) <= keep_start + keep_end:
        return "*" * max(len(value), 4)
    return value[:keep_start] + "*" * max(len(value) - keep_start - keep_end, 4) + value[-keep_end:]


def mask_id_number(value: str) -> str:
    """110101********1234: region prefix and last four only."""
    return mask_middle(value, 6, 4)


def mask_bank_account(value: str) -> str:
    """**** 1234: the last four digits only."""
    return "**** " + value[-4:] if len(value) >= 4 else "****"


def current_key_encrypted(token: str) -> bool:
    """Whether the token is already under the current (first) key: rotation skips it."""
    try:
        _fernets()[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def seal(name: str, value: str | None, *, hashed: bool = False) -> dict[str, str | None]:
    """Keyword arguments for a model's `<name>_cipher` (and `<name>_hash`) columns.
    An empty value stores NULL in both."""
    values: dict[str, str | None] = {f"{name}_cipher": encrypt(value) if value else None}
    if hashed:
        values[f"{name}_hash"] = blind_index(value) if value else None
    return values


def reveal(token: str | None) -> str | None:
    return decrypt(token) if token else None
