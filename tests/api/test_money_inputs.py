"""Money in = money out: every money input is an `Amount` (a decimal string in yuan, the form
of Money.amount), parsed strictly at the API boundary into integer fen; refusals carry
INVALID_AMOUNT in extensions.code (malformed) or the payload's errors (out of the field's
range) and change nothing."""

import re
from pathlib import Path

import pytest
from graphql import GraphQLInputObjectType, GraphQLNonNull, GraphQLScalarType, build_schema

from models.merchants import Merchant
from tests.catalog_factories import make_merchant
from tests.helpers import gid, make_user, token_for

SCHEMA = build_schema((Path(__file__).parents[2] / "schema.graphql").read_text())

SETTINGS = (
    "mutation($m: ID!, $s: MerchantSettingsInput!) { updateMerchantSettings(merchantId: $m, input: $s) "
    "{ merchant { shippingFee { amount currency } } errors { code field } } }"
)
# Names of money (not counts, stock, points or coins, nor rates in basis points).
MONEY_NAME = re.compile(r"price|amount|fee|reward|sales|spent|threshold|cost|balance", re.I)
NOT_MONEY = re.compile(r"Bp$|^points|Points$|^coins|^lowStock|stock|Count$", re.I)


def _inputs():
    """(where, name, type, description) of every argument and input field in the schema."""
    for type_ in SCHEMA.type_map.values():
        if type_.name.startswith("__"):
            continue
        if isinstance(type_, GraphQLInputObjectType):
            for name, field in type_.fields.items():
                yield f"{type_.name}.{name}", name, field.type, field.description or ""
        for fname, field in getattr(type_, "fields", {}).items():
            for name, arg in getattr(field, "args", {}).items():
                yield f"{type_.name}.{fname}({name})", name, arg.type, arg.description or ""


def _named(type_):
    while hasattr(type_, "of_type"):
        type_ = type_.of_type
    return type_


def test_no_fen_name_and_no_int_money_input_in_the_schema():
    fen_names = [n for t in SCHEMA.type_map.values() for n in [t.name, *getattr(t, "fields", {})] if n.endswith("Fen")]
    fen_names += [where for where, name, _, _ in _inputs() if name.endswith("Fen")]
    assert fen_names == []
    int_money = [
        where
        for where, name, type_, description in _inputs()
        if _named(type_).name == "Int"
        and (MONEY_NAME.search(name) and not NOT_MONEY.search(name) or re.search(r"\bfen\b", description, re.I))
    ]
    assert int_money == []
    money_inputs = [where for where, name, type_, _ in _inputs() if _named(type_).name == "Amount"]
    assert len(money_inputs) >= 15  # the scan above does look at them


def test_rates_are_basis_points_named_bp():
    for where, name, type_, description in _inputs():
        if name.endswith("Bp"):
            assert _named(type_).name == "Int" and "basis points" in description.lower(), where
    assert isinstance(SCHEMA.type_map["Amount"], GraphQLScalarType)
    money = SCHEMA.type_map["Money"]
    assert (
        isinstance(money.fields["amount"].type, GraphQLNonNull) and _named(money.fields["amount"].type).name == "Amount"
    )


async def _owner_and_merchant():
    owner = await make_user()
    merchant = await make_merchant(owner, shipping_fee=500)
    return await token_for(owner), merchant


async def test_a_decimal_string_is_taken_as_yuan_and_held_as_fen(api):
    token, merchant = await _owner_and_merchant()
    result = (await api(SETTINGS, {"m": gid(merchant), "s": {"shippingFee": "19.99"}}, token=token))[
        "updateMerchantSettings"
    ]
    assert result == {"merchant": {"shippingFee": {"amount": "19.99", "currency": "CNY"}}, "errors": []}
    assert (await Merchant.get(id=merchant.id)).shipping_fee == 1999
    literal = SETTINGS.replace("$s: MerchantSettingsInput!", "").replace("input: $s", 'input: {shippingFee: "7.5"}')
    assert (await api(literal, {"m": gid(merchant)}, token=token))["updateMerchantSettings"]["errors"] == []
    assert (await Merchant.get(id=merchant.id)).shipping_fee == 750


@pytest.mark.parametrize(
    "value", ["1.001", "1e3", "1.", ".5", " 1", "+1", "01", "NaN", "Infinity", "1,00", "", "99999999999999999999999"]
)
async def test_malformed_amounts_are_refused_with_a_code_and_change_nothing(api, value):
    token, merchant = await _owner_and_merchant()
    body = await api.raw(SETTINGS, {"m": gid(merchant), "s": {"shippingFee": value}}, token=token)
    assert body.get("data") is None and [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_AMOUNT"]
    literal = SETTINGS.replace("$s: MerchantSettingsInput!", "").replace(
        "input: $s", f"input: {{shippingFee: {value!r}}}".replace("'", '"')
    )
    body = await api.raw(literal, {"m": gid(merchant)}, token=token)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_AMOUNT"], body
    assert (await Merchant.get(id=merchant.id)).shipping_fee == 500


@pytest.mark.parametrize("value", [19.99, 1999, 0, True])
async def test_json_numbers_are_refused(api, value):
    token, merchant = await _owner_and_merchant()
    body = await api.raw(SETTINGS, {"m": gid(merchant), "s": {"shippingFee": value}}, token=token)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_AMOUNT"]
    literal = SETTINGS.replace("$s: MerchantSettingsInput!", "").replace(
        "input: $s", f"input: {{shippingFee: {str(value).lower()}}}"
    )
    body = await api.raw(literal, {"m": gid(merchant)}, token=token)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_AMOUNT"], body
    assert (await Merchant.get(id=merchant.id)).shipping_fee == 500


async def test_a_negative_amount_where_none_makes_sense_is_refused_and_changes_nothing(api):
    token, merchant = await _owner_and_merchant()
    result = (await api(SETTINGS, {"m": gid(merchant), "s": {"shippingFee": "-0.01"}}, token=token))[
        "updateMerchantSettings"
    ]
    assert result == {"merchant": None, "errors": [{"code": "INVALID_AMOUNT", "field": ["shippingFee"]}]}
    assert (await Merchant.get(id=merchant.id)).shipping_fee == 500


async def test_a_negative_withdrawal_quote_is_refused(api):
    token = await token_for(await make_user())
    query = "query($a: Amount!) { withdrawalQuote(amount: $a) { net { amount } } }"
    assert await api.error_code(query, {"a": "-0.01"}, token=token) == "INVALID_AMOUNT"
    assert await api.error_code(query, {"a": "1.001"}, token=token) == "INVALID_AMOUNT"
