"""Storefront search (CAT-4): listed products of active merchants, by keyword and filters,
in one of five orders, with keyset cursors that stay stable for every order.

One SQL query per page. Keyword terms match the product's lower-cased `search_text`
(title, subtitle, attributes) with `LIKE '%term%'`; on PostgreSQL that is `ILIKE`, served
by the trigram GIN index `product_search_trgm` (migration 0003; pg_trgm indexes Chinese
text, which a `to_tsvector('simple')` index does not split into words). RELEVANCE orders
by a small score (title starts with the keyword 3, title contains it 1, else 0), then
sales, then id: the same results on SQLite and PostgreSQL.

Cursors carry the sort's key values and the id (`[score, sales, id]`, `[min_price, id]`
...) and the sort they belong to; the next page is `WHERE (k1, k2, id) after (v1, v2,
v3)` in that order, so pages neither skip nor repeat rows while the list is stable, and
never cost an OFFSET scan.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from tortoise import connections

from models.catalog import Product
from services.catalog.product_states import LISTED
from services.catalog.products import ZONES
from services.core.errors import DomainError, ErrorCode
from services.core.pagination import Page, check_page_size
from services.core.sql import sql
from services.merchants import merchants

SORTS = ("RELEVANCE", "SALES", "PRICE_ASC", "PRICE_DESC", "NEWEST")
MAX_TERMS = 5
MAX_KEYWORD = 64

# sort -> [(column of the inner query, descending?)]; the id is always last (unique).
_KEYS: dict[str, list[tuple[str, bool]]] = {
    "RELEVANCE": [("score", True), ("sales_count", True), ("id", True)],
    "SALES": [("sales_count", True), ("id", True)],
    "PRICE_ASC": [("min_price", False), ("id", False)],
    "PRICE_DESC": [("min_price", True), ("id", True)],
    "NEWEST": [("id", True)],  # ids grow with creation
}


@dataclass
class SearchFilters:
    keyword: str | None = None
    category_id: int | None = None  # includes its subtree
    zone: str | None = None
    merchant_id: int | None = None
    min_price: int | None = None  # fen, against the product's lowest SKU price
    max_price: int | None = None


@dataclass
class KeysetPage(Page):
    """A page whose cursors carry sort keys (see `encode_keyset_cursor`)."""

    item_cursors: list[str] = field(default_factory=list)

    @property
    def cursors(self) -> list[str]:  # type: ignore[override]
        return self.item_cursors


def encode_keyset_cursor(sort: str, values: list[int]) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort, *values], separators=(",", ":")).encode()).decode()


def decode_keyset_cursor(cursor: str, sort: str) -> list[int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        if not isinstance(data, list) or data[0] != sort or len(data) != len(_KEYS[sort]) + 1:
            raise ValueError
        values = data[1:]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise ValueError
        return values
    except (ValueError, UnicodeDecodeError, TypeError, IndexError) as exc:
        raise DomainError(ErrorCode.INVALID_CURSOR, "This cursor is not valid for this sort.", "after") from exc


def _like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def keyword_terms(keyword: str | None) -> list[str]:
    text = (keyword or "").strip().lower()
    if len(text) > MAX_KEYWORD:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Keywords are at most {MAX_KEYWORD} characters.", "keyword")
    terms = list(dict.fromkeys(text.split()))
    if len(terms) > MAX_TERMS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_TERMS} keywords.", "keyword")
    return terms


def build_query(
    dialect: str, filters: SearchFilters, sort: str, after: list[int] | None, limit: int
) -> tuple[str, list]:
    """The page's SQL with `?` placeholders, and its parameters."""
    terms = keyword_terms(filters.keyword)
    like = "ILIKE" if dialect == "postgres" else "LIKE"
    where = [f"p.status = '{LISTED}'", f"m.status = '{merchants.ACTIVE}'"]
    params: list = []
    if terms:
        phrase = _like(" ".join(terms))
        score = (
            f"(CASE WHEN lower(p.title) {like} ? ESCAPE '\\' THEN 2 ELSE 0 END"
            f" + CASE WHEN lower(p.title) {like} ? ESCAPE '\\' THEN 1 ELSE 0 END)"
        )
        params += [phrase + "%", "%" + phrase + "%"]
    else:
        score = "0"
    for term in terms:
        where.append(f"p.search_text {like} ? ESCAPE '\\'")
        params.append("%" + _like(term) + "%")
    if filters.category_id is not None:
        where.append(
            "p.category_id IN (SELECT c.id FROM category c JOIN category r ON c.path LIKE r.path || '%' WHERE r.id = ?)"
        )
        params.append(filters.category_id)
    if filters.zone is not None:
        if filters.zone not in ZONES:
            raise DomainError(ErrorCode.INVALID_INPUT, "Unknown zone.", "zone")
        where.append("p.zone = ?")
        params.append(filters.zone)
    if filters.merchant_id is not None:
        where.append("p.merchant_id = ?")
        params.append(filters.merchant_id)
    if filters.min_price is not None:
        where.append("p.min_price >= ?")
        params.append(filters.min_price)
    if filters.max_price is not None:
        where.append("p.min_price <= ?")
        params.append(filters.max_price)
    keys = _KEYS[sort]
    outer_where, outer_params = "", []
    if after is not None:
        # (k1, k2, ..., id) strictly after the cursor's values, each key in its direction.
        ors = []
        for i, (col, desc) in enumerate(keys):
            ands = [f"q.{c} = ?" for c, _ in keys[:i]] + [f"q.{col} {'<' if desc else '>'} ?"]
            ors.append("(" + " AND ".join(ands) + ")")
            outer_params += [*after[:i], after[i]]
        outer_where = "WHERE " + " OR ".join(ors)
    order = ", ".join(f"q.{col} {'DESC' if desc else 'ASC'}" for col, desc in keys)
    text = (
        f"SELECT q.* FROM (SELECT p.*, {score} AS score FROM product p JOIN merchant m ON m.id = p.merchant_id "
        f"WHERE {' AND '.join(where)}) q {outer_where} ORDER BY {order} LIMIT ?"
    )
    return text, [*params, *outer_params, limit]


async def search_products(
    filters: SearchFilters, sort: str = "RELEVANCE", first: int = 20, after: str | None = None
) -> KeysetPage:
    check_page_size(first)
    if sort not in SORTS:
        raise DomainError(ErrorCode.INVALID_INPUT, "Unknown sort.", "sort")
    if sort == "RELEVANCE" and not keyword_terms(filters.keyword):
        sort = "SALES"  # nothing to be relevant to: best sellers first
    for name, value in (("minPrice", filters.min_price), ("maxPrice", filters.max_price)):
        if value is not None and value < 0:
            raise DomainError(ErrorCode.INVALID_PRICE, "Prices are not negative.", name)
    keys = decode_keyset_cursor(after, sort) if after else None
    conn = connections.get("default")
    text, params = build_query(conn.capabilities.dialect, filters, sort, keys, first + 1)
    rows = await conn.execute_query_dict(sql(conn, text), params)
    items = [Product._init_from_db(**row) for row in rows[:first]]
    cursors = [encode_keyset_cursor(sort, [int(row[col]) for col, _ in _KEYS[sort]]) for row in rows[:first]]
    return KeysetPage(
        items=items, has_next_page=len(rows) > first, has_previous_page=after is not None, item_cursors=cursors
    )
