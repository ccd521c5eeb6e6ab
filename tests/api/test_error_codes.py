"""Every bad input gets a coded error: the errors GraphQL itself makes (parse, validation,
variable coercion) carry extensions.code; outside DEBUG no message suggests schema names;
malformed ids, out-of-range dates and over-long strings in queries are coded like in mutations."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from app import create_app
from services.core import business_days
from services.core.errors import DomainError, ErrorCode
from tests.helpers import Api, make_user, token_for

ADDRESS = {"recipient": "A", "phone": "+8613900000000", "provinceCode": "330000", "cityCode": "330100",
           "countyCode": "330106", "detail": "x"}  # fmt: skip
# Each document is wrong in a way graphql-core answers with a suggestion when allowed to.
SUGGESTED = [
    ("{ productz(id: 1) { id } }", None),  # field
    ("{ product(idd: 1) { id } }", None),  # argument
    ("{ searchProducts(sort: PRICE_AS) { edges { cursor } } }", None),  # enum value (literal)
    ("query($s: ProductSort!) { searchProducts(sort: $s) { edges { cursor } } }", {"s": "PRICE_AS"}),  # enum (variable)
    ("query($s: ProductSorts!) { searchProducts(sort: $s) { edges { cursor } } }", {"s": "RELEVANCE"}),  # type
    ("mutation($a: AddressInput!) { createAddress(input: $a) { errors { code } } }", {"a": {**ADDRESS, "detial": "x"}}),
    ('mutation { createAddress(input: {recipient: "A", detial: "x"}) { errors { code } } }', None),  # input field
    ("{ me }", None),  # a selection missing
]


async def _api(debug: bool):
    transport = httpx.ASGITransport(app=create_app(debug=debug, manage_database=False), client=("10.1.2.3", 5555))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.parametrize("debug", [False, True])
async def test_suggestions_only_in_debug(debug):
    async with await _api(debug) as client:
        api = Api(client)
        for query, variables in SUGGESTED:
            body = await api.raw(query, variables)
            messages = [e["message"] for e in body["errors"]]
            assert all(e["extensions"]["code"] for e in body["errors"]), body
            suggested = any("Did you mean" in m for m in messages)
            assert suggested == debug, (query, messages)


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ product(id: 1) { id ", None, "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("{ __schema { types { name } } }", None, "GRAPHQL_VALIDATION_FAILED"),  # introspection off
        ("query($n: Int!) { searchProducts(first: $n) { edges { cursor } } }", {"n": 2**31}, "INVALID_INPUT"),
        ("query($s: ProductSort!) { searchProducts(sort: $s) { edges { cursor } } }", {"s": "NOPE"}, "INVALID_INPUT"),
        (
            "query($d: Date!) { distributorLeaderboard(by: COMMISSION, period: DAY, on: $d) { __typename } }",
            {"d": "2026-13-45"},
            "INVALID_INPUT",
        ),  # fmt: skip
        ("query($n: Int!) { searchProducts(first: $n) { edges { cursor } } }", None, "INVALID_INPUT"),  # missing
        ('{ product(id: "abc") { id } }', None, "INVALID_ID"),
        ('{ snapUpSessions(productId: "T3JkZXI6MQ==") { id } }', None, "INVALID_ID"),  # an Order's id
        ("query($p: String!) { banners(placement: $p) { id } }", {"p": "x" * 100_000}, "INVALID_INPUT"),
    ],
)
async def test_graphql_and_input_errors_carry_a_code(api, query, variables, code):
    body = await api.raw(query, variables)
    assert [e["extensions"]["code"] for e in body["errors"]][:1] == [code], body
    assert all(e["extensions"].get("code") for e in body["errors"])


REPORTS = [
    "{ consignmentStats(period: DAY, from: $from, to: $to) { __typename } }",
    "{ financeReport(kind: REVENUE, period: DAY, from: $from, to: $to) { __typename } }",
    "{ myPromotionStats(period: WEEK, from: $from, to: $to) { __typename } }",
]


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_out_of_range_dates_are_refused_with_a_code(api, report, day):
    token = await token_for(await make_user(roles=("admin",)))
    body = await api.raw("query($from: Date!, $to: Date!) " + report, {"from": day, "to": day}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_DATE_RANGE", body


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "9999-12-31"])
@pytest.mark.parametrize("period", ["DAY", "WEEK", "MONTH"])
async def test_a_leaderboard_day_out_of_range_is_refused(api, day, period):
    token = await token_for(await make_user())
    body = await api.raw(
        "query($d: Date!, $p: StatsPeriod!) { distributorLeaderboard(by: COMMISSION, period: $p, on: $d) { __typename } }",
        {"d": day, "p": period},
        token=token,
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID_DATE_RANGE", body


def test_the_shared_range_check_refuses_days_before_the_earliest():
    with pytest.raises(DomainError) as refused:
        business_days.check_range("DAY", date(1, 1, 1), date(1, 1, 1))
    assert refused.value.code is ErrorCode.INVALID_DATE_RANGE and refused.value.field == "from"
    business_days.check_range("DAY", business_days.EARLIEST_DAY, business_days.EARLIEST_DAY)  # the first day is fine


async def _subscribe(app, query: str) -> dict:
    """The first message after subscribing over graphql-transport-ws."""
    import json

    from httpx_ws import aconnect_ws
    from httpx_ws.transport import ASGIWebSocketTransport

    transport = ASGIWebSocketTransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        async with aconnect_ws("http://testserver/graphql", client, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send_text(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.receive_text())["type"] == "connection_ack"
            await ws.send_text(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}}))
            return json.loads(await ws.receive_text())


async def test_subscription_errors_carry_a_code_and_no_suggestion(app):
    message = await _subscribe(app, "subscription { myNotificationz { id } }")
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Did you mean" not in message["payload"][0]["message"]
