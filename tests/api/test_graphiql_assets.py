"""GraphiQL without a CDN: the vendored files are the bytes Strawberry's page pins, the page
points at them, and the app serves them (debug only) with long cache lifetimes.
The page in a real browser: tests/api/test_graphiql_browser.py."""

from __future__ import annotations

import httpx
import pytest
from strawberry.http.ides import get_graphql_ide_html

from app import create_app
from schema.graphiql import assets, page


@pytest.fixture
def strawberry_page() -> str:
    return get_graphql_ide_html("graphiql")


def test_every_cdn_file_of_strawberrys_page_is_vendored_with_the_integrity_it_pins(strawberry_page):
    refs = page.references(strawberry_page)
    assert len(refs) == 7  # react, react-dom, js-cookie, graphiql js+css, explorer plugin js+css
    manifest = assets.load_manifest()
    assert {r.path: r.integrity for r in refs} == manifest
    for path, integrity in manifest.items():
        assert assets.sha384(assets.VENDOR_DIR / path) == integrity, f"{path} changed: run the refresh"


def test_the_page_loads_nothing_from_the_cdn(strawberry_page):
    html = page.local_page(strawberry_page)
    assert page.CDN not in html and "unpkg" not in html
    for path, integrity in assets.load_manifest().items():
        assert f'"{assets.URL_PREFIX}{path}"' in html and f'integrity="{integrity}"' in html


def test_a_file_missing_from_the_manifest_is_an_error_not_a_cdn_fallback(strawberry_page):
    with pytest.raises(LookupError, match="refresh"):
        page.local_page(strawberry_page, integrity={})


async def test_debug_serves_the_files_with_their_types_and_long_caching():
    transport = httpx.ASGITransport(app=create_app(debug=True, manage_database=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ide = await client.get("/graphql", headers={"Accept": "text/html"})
        assert ide.status_code == 200 and "/graphiql-assets/graphiql@" in ide.text
        for path in assets.load_manifest():
            response = await client.get(assets.URL_PREFIX + path)
            assert response.status_code == 200, path
            kind = "text/javascript" if path.endswith(".js") else "text/css"
            assert response.headers["content-type"] == f"{kind}; charset=utf-8"
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert response.content == (assets.VENDOR_DIR / path).read_bytes()
        # only the listed files: not the manifest, a licence, or a path out of the folder
        for other in ("manifest.json", "graphiql@3.8.3/LICENSE", "../assets.py", "%2e%2e/assets.py"):
            assert (await client.get(assets.URL_PREFIX + other)).status_code == 404, other


async def test_outside_debug_there_is_no_ide_and_no_asset_route():
    transport = httpx.ASGITransport(app=create_app(debug=False, manage_database=False))
    path = next(iter(assets.load_manifest()))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get(assets.URL_PREFIX + path)).status_code == 404
