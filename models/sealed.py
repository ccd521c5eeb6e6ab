"""Encrypted model attributes (RISK-3) by naming convention.

A model declares the columns `<name>_cipher` (Fernet token) and, when equality lookups or
uniqueness are needed, `<name>_hash` (blind index), and a `Sealed()` attribute `<name>`
that reads the plain value and writes both columns:

    class User(SealedModel, Model):
        phone_cipher = fields.CharField(max_length=255, null=True)
        phone_hash = fields.CharField(max_length=64, null=True, unique=True)
        phone = Sealed(hashed=True)

    await User.create(phone="+8613800138000")       # stores cipher + hash, never the number
    user.phone                                       # "+8613800138000" (decrypted)
    await User.get(phone_hash=sensitive.blind_index("+8613800138000"))

Queries cannot filter or update by the plain name (Tortoise rejects unknown fields): filter
by `<name>_hash`, update with `**sensitive.seal(name, value, hashed=...)`.
`python -m manage rotate-keys` finds every `*_cipher` column by this convention.
"""

from __future__ import annotations

from typing import Any, Protocol


class Cipher(Protocol):
    """What the attribute needs of the encryption (services.core.sensitive, set by wiring.py:
    models sit below the services and import none of them)."""

    def decrypt(self, token: str) -> str: ...

    def seal(self, name: str, value: str | None, *, hashed: bool = False) -> dict[str, str | None]: ...


_cipher: Cipher | None = None


def use_cipher(cipher: Cipher) -> None:
    global _cipher
    _cipher = cipher


def _the_cipher() -> Cipher:
    if _cipher is None:
        raise RuntimeError("models.sealed has no cipher: call wiring.install() at start-up")
    return _cipher


class Sealed:
    """Descriptor over `<name>_cipher` (+ `<name>_hash`). `empty` is what a NULL cipher reads as."""

    def __init__(self, *, hashed: bool = False, empty: str | None = None) -> None:
        self.hashed = hashed
        self.empty = empty
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        token = getattr(obj, f"{self.name}_cipher", None)
        if not token:
            return self.empty
        cache = obj.__dict__.setdefault("_sealed_plain", {})
        hit = cache.get(self.name)
        if hit is None or hit[0] != token:
            hit = cache[self.name] = (token, _the_cipher().decrypt(token))
        return hit[1]

    def __set__(self, obj: Any, value: str | None) -> None:
        for column, stored in self.columns(value).items():
            setattr(obj, column, stored)

    def columns(self, value: str | None) -> dict[str, str | None]:
        return _the_cipher().seal(self.name, value, hashed=self.hashed)


class SealedModel:
    """Mixin (before `Model`): `Model(phone=...)` / `Model.create(phone=...)` fill the
    columns. Without it Tortoise would silently ignore the unknown keyword."""

    def __init__(self, **kwargs: Any) -> None:
        for name in [k for k in kwargs if isinstance(getattr(type(self), k, None), Sealed)]:
            kwargs.update(getattr(type(self), name).columns(kwargs.pop(name)))
        super().__init__(**kwargs)
