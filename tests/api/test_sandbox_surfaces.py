"""The sandbox's pay page, its payout callback route and the `sandboxPay` /
`sandboxPayoutResult` mutations exist only where the sandbox is configured; schema.graphql
(the production face) has none of them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import settings
from app import create_app
from schema.schema import build_schema, public_schema

ROOT = Path(__file__).resolve().parents[2]
SANDBOX_MUTATIONS = {"sandboxPay", "sandboxPayoutResult"}


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setattr(settings, "PAYMENT_GATEWAY", "tests.fake_gateway:Gateway")
    monkeypatch.setattr(settings, "PAYOUT_CHANNEL", "manual")
    monkeypatch.setattr(settings, "SANDBOX_PAYOUTS", False)


async def _status(app, method: str, path: str) -> int:
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return (await client.request(method, path, content=b"{}")).status_code


async def _sandbox_pay(app) -> dict:
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        body = (
            await client.post("/graphql", json={"query": 'mutation { sandboxPay(tradeNo: "x") { __typename } }'})
        ).json()
    return body


def _mutation_fields(schema) -> set[str]:
    return set(schema._schema.mutation_type.fields)


async def test_a_production_configured_app_has_no_sandbox_routes_nor_mutations(production):
    app = create_app(debug=False, manage_database=False)
    assert await _status(app, "GET", "/sandbox/pay/T1") == 404
    assert await _status(app, "POST", "/sandbox/pay/T1") == 404
    assert await _status(app, "POST", "/payouts/notify/sandbox") == 404
    assert await _status(app, "POST", "/payouts/notify/manual") == 400  # the other channels' route stays
    body = await _sandbox_pay(app)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "sandboxPay" in body["errors"][0]["message"]
    assert SANDBOX_MUTATIONS.isdisjoint(_mutation_fields(build_schema()))


async def test_a_sandbox_configured_app_has_them(app):
    assert settings.sandbox_payments() and settings.sandbox_payouts()  # as the test suite configures it
    assert await _status(app, "GET", "/sandbox/pay/NO-SUCH-TRADE") == 404  # the page, for an unknown trade
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get("/sandbox/pay/NO-SUCH-TRADE")
        callback = await client.post("/payouts/notify/sandbox", content=b"{}")
    assert page.text == "No such trade."
    assert callback.status_code == 400 and callback.json()["error"] == "CALLBACK_INVALID"
    body = await _sandbox_pay(app)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"  # there: it asks for a signed-in buyer
    assert SANDBOX_MUTATIONS <= _mutation_fields(build_schema())


def test_the_sandbox_payouts_alone_can_be_switched_on(production, monkeypatch):
    monkeypatch.setattr(settings, "SANDBOX_PAYOUTS", True)
    assert _mutation_fields(build_schema()) & SANDBOX_MUTATIONS == {"sandboxPayoutResult"}


def test_schema_graphql_is_the_production_face():
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert "sandboxPay" not in committed and "sandboxPayoutResult" not in committed
    assert SANDBOX_MUTATIONS.isdisjoint(_mutation_fields(public_schema()))
