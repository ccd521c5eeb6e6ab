"""Poster images fetched over HTTP, no network: a fake resolver and transport. A private,
loopback or link-local address is refused before any connection; a redirect is checked
again; too large, not an image, slow: stable codes. The connection goes to the address
checked (Host header kept), so DNS cannot answer differently the second time."""

from __future__ import annotations

import asyncio
import io

import httpx
import pytest
from PIL import Image

from services.core.errors import DomainError, ErrorCode
from services.distribution.posters import fetch


def png(size=(8, 8), colour="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def fetcher(handler, addresses=("93.184.216.34",), **kw):
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return await handler(request)

    async def resolver(host: str, port: int) -> list[str]:
        return list(addresses)

    return fetch.HttpImageFetcher(resolver=resolver, transport=httpx.MockTransport(record), **kw), seen


async def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=png(), headers={"content-type": "image/png"})


async def code_of(f, url="http://img.example.com/a.png") -> ErrorCode:
    with pytest.raises(DomainError) as refused:
        await f.fetch(url)
    return refused.value.code


async def test_an_image_is_fetched_from_the_checked_address_with_its_host():
    f, seen = fetcher(ok)
    assert await f.fetch("http://img.example.com/a.png") == png()
    assert seen[0].url.host == "93.184.216.34" and seen[0].headers["host"] == "img.example.com"


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "192.168.0.9", "169.254.169.254", "::1", "fd00::1", "::ffff:10.0.0.1", "0.0.0.0"],
)
async def test_a_private_address_is_refused_without_any_connection(address):
    f, seen = fetcher(ok, addresses=(address,))
    assert await code_of(f) == ErrorCode.IMAGE_UNREACHABLE
    assert seen == []


async def test_one_private_address_among_public_ones_is_refused():
    f, seen = fetcher(ok, addresses=("93.184.216.34", "10.0.0.1"))
    assert await code_of(f) == ErrorCode.IMAGE_UNREACHABLE and seen == []


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://img.example.com/a.png", "http://user:pw@img.example.com/a", "http:///a"]
)
async def test_only_plain_http_urls(url):
    f, seen = fetcher(ok)
    assert await code_of(f, url) == ErrorCode.IMAGE_UNREACHABLE and seen == []


async def test_a_redirect_to_a_private_address_is_refused_before_following_it():
    async def redirect(request):
        return httpx.Response(302, headers={"location": "http://internal.example/secret.png"})

    calls = []

    async def resolver(host, port):
        calls.append(host)
        return ["93.184.216.34"] if host == "img.example.com" else ["10.0.0.7"]

    seen = []

    async def record(request):
        seen.append(request)
        return await redirect(request)

    f = fetch.HttpImageFetcher(resolver=resolver, transport=httpx.MockTransport(record))
    assert await code_of(f) == ErrorCode.IMAGE_UNREACHABLE
    assert calls == ["img.example.com", "internal.example"] and len(seen) == 1


async def test_too_large_by_header_or_by_streamed_body():
    async def declared(request):
        return httpx.Response(200, content=png(), headers={"content-type": "image/png", "content-length": "99999999"})

    async def streamed(request):
        return httpx.Response(200, content=b"\x89PNG" + b"0" * 5000, headers={"content-type": "image/png"})

    assert await code_of(fetcher(declared)[0]) == ErrorCode.IMAGE_TOO_LARGE
    assert await code_of(fetcher(streamed, max_bytes=1000)[0]) == ErrorCode.IMAGE_TOO_LARGE


async def test_too_many_pixels_is_too_large():
    with pytest.raises(DomainError) as refused:
        fetch.check_image(png((300, 300)), max_pixels=10_000)
    assert refused.value.code == ErrorCode.IMAGE_TOO_LARGE


async def test_not_an_image_by_type_or_by_content():
    async def html(request):
        return httpx.Response(200, content=b"<html></html>", headers={"content-type": "text/html"})

    async def lying(request):
        return httpx.Response(200, content=b"not a png at all", headers={"content-type": "image/png"})

    assert await code_of(fetcher(html)[0]) == ErrorCode.IMAGE_INVALID
    assert await code_of(fetcher(lying)[0]) == ErrorCode.IMAGE_INVALID


async def test_a_slow_server_times_out():
    async def slow(request):
        await asyncio.sleep(5)
        return await ok(request)

    assert await code_of(fetcher(slow, timeout=0.05)[0]) == ErrorCode.IMAGE_UNREACHABLE


async def test_errors_and_statuses_are_unreachable():
    async def broken(request):
        raise httpx.ConnectError("refused")

    async def missing(request):
        return httpx.Response(404)

    assert await code_of(fetcher(broken)[0]) == ErrorCode.IMAGE_UNREACHABLE
    assert await code_of(fetcher(missing)[0]) == ErrorCode.IMAGE_UNREACHABLE


async def test_the_cache_fetches_each_url_once_and_keeps_a_bounded_number():
    inner = fetch.MemoryFetcher({"a": png(), "b": png(colour="blue"), "c": png(colour="green")})
    cached = fetch.CachingFetcher(inner, max_items=2)
    for url in ("a", "a", "b", "c", "a"):
        await cached.fetch(url)
    assert inner.fetched == ["a", "b", "c", "a"]  # "a" evicted by "c", fetched again
