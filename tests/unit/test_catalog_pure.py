"""Pure catalog helpers: canonical spec keys, keyset cursors, the search SQL's shape."""

import pytest

from services.catalog import search
from services.catalog.products import spec_key
from services.core.errors import DomainError
from services.core.sql import sql


def test_spec_key_is_canonical():
    assert spec_key({"颜色": "红", "尺码": "M"}) == spec_key({"尺码": "M", "颜色": "红"}) == "尺码=M;颜色=红"
    assert spec_key({}) == ""


def test_keyset_cursor_round_trip_and_refusals():
    cursor = search.encode_keyset_cursor("PRICE_ASC", [1999, 42])
    assert search.decode_keyset_cursor(cursor, "PRICE_ASC") == [1999, 42]
    for bad, sort in (
        (cursor, "SALES"),
        ("garbage", "SALES"),
        (search.encode_keyset_cursor("NEWEST", [1, 2]), "NEWEST"),
    ):
        with pytest.raises(DomainError) as caught:
            search.decode_keyset_cursor(bad, sort)
        assert caught.value.code.value == "INVALID_CURSOR"


def test_keyset_condition_and_wildcard_escaping():
    text, params = search.build_query("sqlite", search.SearchFilters(keyword="50%_off"), "SALES", [7, 99], 21)
    assert "(q.sales_count < ?) OR (q.sales_count = ? AND q.id < ?)" in text
    assert params[-4:] == [7, 7, 99, 21]
    assert "%50\\%\\_off%" in params


def test_placeholders_per_dialect():
    class Conn:
        class capabilities:
            dialect = "postgres"

    assert sql(Conn, "a = ? AND b = ?") == "a = $1 AND b = $2"
    Conn.capabilities.dialect = "sqlite"
    assert sql(Conn, "a = ?") == "a = ?"
