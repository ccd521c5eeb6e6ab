"""ASGI entry for bench/search_vs_bare.py: the bench app plus a bare storefront search.

`/bare/search` does the database work of the GraphQL `searchProducts` query it is
compared with, minus GraphQL: the bearer token is authenticated (as the GraphQL context
does), then the same search SQL (services.catalog.search.search_products), one query for the
page's active SKUs and one for their merchants (what the DataLoaders do), and JSON shaped
like the GraphQL response.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

import settings
from bench.bench_app import _viewer
from bench.bench_app import build as build_base
from models.catalog import Sku
from models.merchants import Merchant
from schema.node import decode, encode
from services.catalog import search
from services.core.money import fen_to_decimal_string

CURRENCY = settings.CURRENCY


def _money(fen: int) -> dict:
    return {"amount": fen_to_decimal_string(fen), "currency": CURRENCY}


async def bare_search(request: Request) -> JSONResponse:
    _user, refusal = await _viewer(request)
    if refusal is not None:
        return refusal
    params = request.query_params
    filters = search.SearchFilters(
        keyword=params.get("keyword"),
        category_id=decode(params["categoryId"])[1] if "categoryId" in params else None,
    )
    page = await search.search_products(filters, params.get("sort", "RELEVANCE"), int(params.get("first", "50")))
    ids = [p.id for p in page.items]
    skus: dict[int, list] = {i: [] for i in ids}
    for sku in await Sku.filter(product_id__in=ids, is_active=True).order_by("id"):
        skus[sku.product_id].append(
            {"id": encode("Sku", sku.id), "code": sku.code, "price": _money(sku.price), "stock": sku.stock}
        )
    merchants = {m.id: m for m in await Merchant.filter(id__in={p.merchant_id for p in page.items})}
    nodes = []
    for p in page.items:
        m = merchants[p.merchant_id]
        nodes.append(
            {
                "id": encode("Product", p.id),
                "title": p.title,
                "minPrice": _money(p.min_price),
                "totalStock": p.total_stock,
                "skus": skus[p.id],
                "merchant": {"id": encode("Merchant", m.id), "name": m.name, "logoUrl": m.logo_url},
            }
        )
    return JSONResponse({"data": {"searchProducts": {"nodes": nodes}}})


def build() -> object:
    application = build_base()
    application.router.add_route("/bare/search", bare_search, methods=["GET"])
    return application


app = build()
