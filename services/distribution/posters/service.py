"""Share posters (MKT-5): `poster_for(target, distributor, template_id)` composes a PNG of a
listed product (or a flash item: its flash price) with the distributor's nickname, avatar
and the QR code of the distributor's tracked link to that page (services.distribution.centre
.tracked_url: its visits count as the distributor's clicks and lead to the product).

Checks first, writing nothing: NOT_A_DISTRIBUTOR, NOT_FOUND (target or template),
PRODUCT_UNAVAILABLE (not listed), FLASH_ENDED, POSTER_FONT_MISSING; then the images are
fetched (FETCHER: cached, SSRF-safe; IMAGE_UNREACHABLE / IMAGE_TOO_LARGE / IMAGE_INVALID).
Rendered posters are kept on disk (POSTER_CACHE_DIR) under a key of the template and its
version, the target, the distributor and a digest of everything drawn (title, price, image
URLs, nickname, link, font): a second request answers the same file without rendering; an
edited product or template gets a new key. The signed URL (`signed_path`, `verify_path`)
lets an HTTP route serve the PNG to a mini-program's downloadFile without a header."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import tempfile
import time
from dataclasses import dataclass

import settings
from models.accounts import User
from models.catalog import Product
from models.marketing import FlashItem
from services.catalog.product_states import LISTED
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.distribution import centre
from services.distribution.posters import layout as lay
from services.distribution.posters import render, templates
from services.distribution.posters.fetch import CachingFetcher, HttpImageFetcher, ImageFetcher
from services.marketing import flash

PRODUCT, FLASH = "product", "flash"  # what a poster shows: centre.LINK_TARGETS' names

FETCHER: ImageFetcher = CachingFetcher(HttpImageFetcher())  # tests put a MemoryFetcher here
RENDERS = {"count": 0}  # posters actually painted (the cache test reads it)


@dataclass(frozen=True)
class Target:
    kind: str  # PRODUCT or FLASH
    id: int


@dataclass(frozen=True)
class Poster:
    png: bytes
    key: str
    link: str  # the tracked link the QR code encodes
    template_id: int  # 0: the built-in layout
    version: int
    width: int
    height: int
    rendered: bool  # False: served from the cache


@dataclass(frozen=True)
class _Subject:
    title: str
    price: int  # fen
    image_url: str


async def _subject(target: Target) -> _Subject:
    if target.kind == PRODUCT:
        product = await Product.get_or_none(id=target.id)
        if product is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such product.", "productId")
        if product.status != LISTED:
            raise DomainError(ErrorCode.PRODUCT_UNAVAILABLE, "The product is not on sale.", "productId")
        return _Subject(product.title, product.min_price, product.main_image_url)
    if target.kind == FLASH:
        item = await FlashItem.get_or_none(id=target.id).select_related("session", "product")
        if item is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such flash item.", "flashItemId")
        if item.session.status != flash.ACTIVE or item.session.ends_at <= clock.now():
            raise DomainError(ErrorCode.FLASH_ENDED, "The flash session is over.", "flashItemId")
        if item.product.status != LISTED:
            raise DomainError(ErrorCode.PRODUCT_UNAVAILABLE, "The product is not on sale.", "flashItemId")
        return _Subject(item.product.title, item.flash_price, item.product.main_image_url)
    raise DomainError(ErrorCode.INVALID_INPUT, "A product or a flash item.", "target")


def _path(key: str) -> str:
    return os.path.join(settings.POSTER_CACHE_DIR, key[:2], f"{key}.png")


def cached(key: str) -> bytes | None:
    try:
        with open(_path(key), "rb") as kept:
            return kept.read()
    except OSError:
        return None


def _keep(key: str, png: bytes) -> None:
    """Written beside, then renamed: a reader never sees half a file."""
    path = _path(key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(png)
    os.replace(tmp, path)


async def _image(url: str) -> bytes | None:
    return await FETCHER.fetch(url) if url else None


async def poster_for(target: Target, distributor: User, template_id: int | None = None) -> Poster:
    """The poster of `target` shared by `distributor` (see the module's docstring)."""
    await centre.require_distributor(distributor.id)
    chosen = await templates.choose(template_id)
    subject = await _subject(target)
    font_path = settings.POSTER_FONT_PATH
    if not os.path.isfile(font_path):
        raise render.font_missing(font_path)
    link = centre.tracked_url(distributor.invite_code, target.kind, target.id)
    content = lay.Content(subject.title, lay.price_text(subject.price), distributor.nickname or "", link)
    drawn = repr((content, subject.image_url, distributor.avatar_url, font_path))
    name = f"{chosen.id}|{chosen.version}|{target.kind}|{target.id}|{distributor.id}|{drawn}"
    key = hashlib.sha256(name.encode()).hexdigest()
    size = (chosen.layout.width, chosen.layout.height)
    found = cached(key)
    if found is not None:
        return Poster(found, key, link, chosen.id, chosen.version, *size, rendered=False)
    images = {"image": await _image(subject.image_url), "avatar": await _image(distributor.avatar_url)}
    ops = lay.plan(chosen.layout, content, render.measurer(font_path))
    png = await asyncio.to_thread(render.render, ops, images, font_path)
    RENDERS["count"] += 1
    await asyncio.to_thread(_keep, key, png)
    return Poster(png, key, link, chosen.id, chosen.version, *size, rendered=True)


# --------------------------------------------------------------------------- signed URLs


def _signature(payload: str) -> str:
    key = hashlib.sha256(("poster-url|" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:32]


def signed_path(target: Target, distributor_id: int, template_id: int | None) -> tuple[str, int]:
    """(/posters/{payload}.{signature}.png, expiry as a Unix time): anyone holding it may fetch
    the poster until then, nobody can forge another."""
    expires = int(time.time()) + settings.POSTER_URL_TTL_SECONDS
    payload = f"{target.kind}-{target.id}-{distributor_id}-{template_id or 0}-{expires}"
    return f"/posters/{payload}.{_signature(payload)}.png", expires


def verify_path(payload: str, signature: str) -> tuple[Target, int, int | None] | None:
    """(target, distributor id, template id) of a signed path still valid; None otherwise."""
    if not hmac.compare_digest(_signature(payload).encode(), signature.encode("utf-8", "surrogatepass")):
        return None
    parts = payload.split("-")
    if len(parts) != 5 or parts[0] not in (PRODUCT, FLASH) or not all(p.isdigit() for p in parts[1:]):
        return None
    target_id, distributor_id, template_id, expires = (int(p) for p in parts[1:])
    if expires < time.time():
        return None
    return Target(parts[0], target_id), distributor_id, template_id or None
