"""Images a poster draws (the product's picture, the distributor's avatar), fetched through
an interface (MKT-5): `ImageFetcher.fetch(url) -> bytes`, checked to be a real image.

`HttpImageFetcher` guards against server-side request forgery and slow or huge answers:
only http(s); the host is resolved first (`resolver`, replaceable in tests) and every address
must be a public one (no private, loopback, link-local, multicast or reserved address), then
the connection goes to that checked address (the Host header and TLS name stay the host's),
so a second DNS answer cannot point it elsewhere; redirects are followed by hand, each one
checked again; the whole fetch has one deadline; the body is streamed and dropped past
`max_bytes`; the content type must be image/* and Pillow must read it. Refusals are coded:
IMAGE_UNREACHABLE (private address, slow, failing), IMAGE_TOO_LARGE, IMAGE_INVALID.
`CachingFetcher` keeps the last images fetched (bounded). `MemoryFetcher` serves tests."""

from __future__ import annotations

import asyncio
import io
import ipaddress
import socket
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import httpx
from PIL import Image

import settings
from services.core.errors import DomainError, ErrorCode

MAX_REDIRECTS = 3
Resolver = Callable[[str, int], Awaitable[list[str]]]  # (host, port) -> IP addresses


class ImageFetcher(Protocol):
    async def fetch(self, url: str) -> bytes:
        """The image's bytes, checked; a coded DomainError otherwise."""
        ...


def _unreachable(why: str) -> DomainError:
    return DomainError(ErrorCode.IMAGE_UNREACHABLE, f"The image could not be fetched: {why}.", "imageUrl")


def check_image(data: bytes, max_pixels: int | None = None) -> tuple[int, int]:
    """(width, height) of an image Pillow reads whole; IMAGE_INVALID or IMAGE_TOO_LARGE."""
    max_pixels = settings.POSTER_IMAGE_MAX_PIXELS if max_pixels is None else max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                size = probe.size
                if size[0] * size[1] > max_pixels:
                    raise DomainError(ErrorCode.IMAGE_TOO_LARGE, "The image has too many pixels.", "imageUrl")
                probe.verify()
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DomainError(ErrorCode.IMAGE_TOO_LARGE, "The image has too many pixels.", "imageUrl") from exc
    except Exception as exc:  # Pillow raises many kinds for a file that is not an image
        raise DomainError(ErrorCode.IMAGE_INVALID, "That is not an image.", "imageUrl") from exc
    return size


def public_address(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


class HttpImageFetcher:
    def __init__(
        self,
        *,
        resolver: Resolver = system_resolver,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> None:
        self.resolver = resolver
        self.transport = transport
        self.timeout = timeout
        self.max_bytes = max_bytes

    async def fetch(self, url: str) -> bytes:
        timeout = settings.POSTER_IMAGE_TIMEOUT_SECONDS if self.timeout is None else self.timeout
        try:
            async with asyncio.timeout(timeout):
                data = await self._fetch(url, timeout)
        except TimeoutError as exc:
            raise _unreachable("too slow") from exc
        check_image(data)
        return data

    async def _target(self, url: str) -> tuple[str, str, str]:
        """(URL to connect to, by checked address; Host header; TLS server name)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
            raise _unreachable("only plain http(s) URLs")
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = await self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise _unreachable("unknown host") from exc
        if not addresses or not all(public_address(a) for a in addresses):
            raise _unreachable("not a public address")
        ip = addresses[0]
        netloc = f"[{ip}]" if ":" in ip else ip
        if parts.port:
            netloc += f":{parts.port}"
        pinned = parts._replace(netloc=netloc).geturl()
        return pinned, parts.netloc.rsplit("@", 1)[-1], host

    async def _fetch(self, url: str, timeout: float) -> bytes:
        max_bytes = settings.POSTER_IMAGE_MAX_BYTES if self.max_bytes is None else self.max_bytes
        async with httpx.AsyncClient(transport=self.transport, timeout=timeout, follow_redirects=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                pinned, host_header, server_name = await self._target(url)
                request = client.build_request(
                    "GET", pinned, headers={"Host": host_header}, extensions={"sni_hostname": server_name}
                )
                try:
                    response = await client.send(request, stream=True)
                except httpx.HTTPError as exc:
                    raise _unreachable("no answer") from exc
                try:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    return await self._body(response, max_bytes)
                finally:
                    await response.aclose()
        raise _unreachable("too many redirects")

    async def _body(self, response: httpx.Response, max_bytes: int) -> bytes:
        if response.status_code != 200:
            raise _unreachable(f"status {response.status_code}")
        if not response.headers.get("content-type", "").lower().startswith("image/"):
            raise DomainError(ErrorCode.IMAGE_INVALID, "That is not an image.", "imageUrl")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise DomainError(ErrorCode.IMAGE_TOO_LARGE, "The image is too large.", "imageUrl")
        body = bytearray()
        try:
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise DomainError(ErrorCode.IMAGE_TOO_LARGE, "The image is too large.", "imageUrl")
        except httpx.HTTPError as exc:
            raise _unreachable("the answer broke off") from exc
        return bytes(body)


class CachingFetcher:
    """The last `max_items` images fetched by `inner`, by URL (refusals are not kept)."""

    def __init__(self, inner: ImageFetcher, max_items: int | None = None) -> None:
        self.inner = inner
        self.max_items = max_items
        self._kept: OrderedDict[str, bytes] = OrderedDict()

    async def fetch(self, url: str) -> bytes:
        if url in self._kept:
            self._kept.move_to_end(url)
            return self._kept[url]
        data = await self.inner.fetch(url)
        self._kept[url] = data
        limit = settings.POSTER_IMAGE_CACHE_ITEMS if self.max_items is None else self.max_items
        while len(self._kept) > limit:
            self._kept.popitem(last=False)
        return data


class MemoryFetcher:
    """Images by URL, for tests and demos; an unknown URL is IMAGE_UNREACHABLE."""

    def __init__(self, images: dict[str, bytes] | None = None) -> None:
        self.images = dict(images or {})
        self.fetched: list[str] = []

    async def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        if url not in self.images:
            raise _unreachable("unknown")
        check_image(self.images[url])
        return self.images[url]
