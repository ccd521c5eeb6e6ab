"""Cart (ORD-1) through GraphQL: items, selection, per-merchant totals with shipping,
problems re-checked on every read, errors as data with nothing changed, other users'
items, shared carts, and the constant query count of the cart."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

import settings
from models.catalog import Product, Sku
from models.orders import CartItem, CartShare
from services.core import clock
from services.orders import cart as cart_service
from tests.helpers import at, gid, make_user, token_for
from tests.order_factories import make_buyer, make_shop, place
from tests.querycount import count_queries

ITEM = "id quantity selected problem unitPrice { amount } amount { amount } sku { id stock } product { id title }"
GROUP = f"""merchant {{ id name }} goodsAmount {{ amount }} shippingFee {{ amount }} total {{ amount }}
  freeShippingThreshold {{ amount }} amountToFreeShipping {{ amount }} items {{ {ITEM} }}"""
CART = f"""groups {{ {GROUP} }} goodsAmount {{ amount currency }} shippingFee {{ amount }} total {{ amount }}
  selectedQuantity itemCount allSelected"""
CART_QUERY = f"{{ cart {{ {CART} }} }}"
ADD = f"mutation($s: ID!, $q: Int!) {{ addToCart(skuId: $s, quantity: $q) {{ cart {{ {CART} }} errors {{ code field }} }} }}"
UPDATE = f"mutation($id: ID!, $q: Int, $s: ID) {{ updateCartItem(id: $id, quantity: $q, skuId: $s) {{ cart {{ {CART} }} errors {{ code field }} }} }}"
REMOVE = f"mutation($ids: [ID!]!) {{ removeCartItems(ids: $ids) {{ cart {{ {CART} }} errors {{ code field }} }} }}"
SELECT = f"mutation($ids: [ID!], $sel: Boolean!) {{ selectCartItems(ids: $ids, selected: $sel) {{ cart {{ {CART} }} errors {{ code field }} }} }}"
SHARE = "mutation { shareCart { share { code url expiresAt itemCount } errors { code field } } }"
SHARED = """query($c: String!) { sharedCart(code: $c) { code expiresAt unavailableCount
  items { quantity available problem sku { id } product { id title merchant { id } } } } }"""
IMPORT = f"mutation($c: String!) {{ importSharedCart(code: $c) {{ imported skipped cart {{ {CART} }} errors {{ code field }} }} }}"


def _items(cart: dict) -> list[dict]:
    return [item for group in cart["groups"] for item in group["items"]]


async def _rows(user) -> list[tuple]:
    return [
        tuple(r)
        for r in await CartItem.filter(user_id=user.id)
        .order_by("id")
        .values_list("id", "sku_id", "quantity", "selected")
    ]


async def _add(api, token, sku_id, quantity=1) -> dict:
    sku = sku_id if isinstance(sku_id, str) else gid("Sku", sku_id)  # a string: sent as it is
    return (await api(ADD, {"s": sku, "q": quantity}, token=token))["addToCart"]


# --------------------------------------------------------------------------- operations and totals


async def test_add_change_remove_with_shipping_flat_then_free(api):
    merchant, product, (sku,) = await make_shop(price=1000, stock=10, shipping_fee=800, free_threshold=5000)
    user = await make_user()
    token = await token_for(user)
    empty = (await api(CART_QUERY, token=token))["cart"]
    assert empty == {
        "groups": [],
        "goodsAmount": {"amount": "0.00", "currency": "CNY"},
        "shippingFee": {"amount": "0.00"},
        "total": {"amount": "0.00"},
        "selectedQuantity": 0,
        "itemCount": 0,
        "allSelected": False,
    }

    added = await _add(api, token, sku.id, 2)
    assert added["errors"] == []
    group = added["cart"]["groups"][0]
    assert group["merchant"] == {"id": gid(merchant), "name": merchant.name}
    assert (group["goodsAmount"], group["shippingFee"], group["total"]) == (
        {"amount": "20.00"},
        {"amount": "8.00"},
        {"amount": "28.00"},
    )
    assert (group["freeShippingThreshold"], group["amountToFreeShipping"]) == ({"amount": "50.00"}, {"amount": "30.00"})
    (item,) = group["items"]
    assert item["quantity"] == 2 and item["selected"] and item["problem"] is None
    assert (item["unitPrice"], item["amount"]) == ({"amount": "10.00"}, {"amount": "20.00"})
    assert item["sku"] == {"id": gid(sku), "stock": 10} and item["product"] == {
        "id": gid(product),
        "title": product.title,
    }

    # the same SKU again adds to its item; at the threshold shipping is free
    more = (await _add(api, token, sku.id, 3))["cart"]
    assert [i["quantity"] for i in _items(more)] == [5] and await CartItem.filter(user_id=user.id).count() == 1
    assert (more["shippingFee"], more["total"], more["selectedQuantity"]) == (
        {"amount": "0.00"},
        {"amount": "50.00"},
        5,
    )
    assert more["groups"][0]["amountToFreeShipping"] == {"amount": "0.00"}

    changed = (await api(UPDATE, {"id": item["id"], "q": 1}, token=token))["updateCartItem"]
    assert changed["errors"] == [] and (
        changed["cart"]["goodsAmount"]["amount"],
        changed["cart"]["total"]["amount"],
    ) == ("10.00", "18.00")

    removed = (await api(REMOVE, {"ids": [item["id"]]}, token=token))["removeCartItems"]
    assert (
        removed["errors"] == []
        and removed["cart"]["itemCount"] == 0
        and await CartItem.filter(user_id=user.id).count() == 0
    )


async def test_per_merchant_groups_and_selection(api):
    flat, _, (a,) = await make_shop(price=1500, shipping_fee=600)  # flat fee, never free
    free, _, (b, c) = await make_shop(price=2000, skus=2, shipping_fee=1000, free_threshold=3000)
    token = await token_for(await make_user())
    await _add(api, token, a.id, 1)
    await _add(api, token, b.id, 1)
    cart = (await _add(api, token, c.id, 1))["cart"]
    # newest item first: the free-shipping merchant's group leads
    assert [g["merchant"]["id"] for g in cart["groups"]] == [gid(free), gid(flat)]
    totals = {
        g["merchant"]["id"]: (g["goodsAmount"]["amount"], g["shippingFee"]["amount"], g["total"]["amount"])
        for g in cart["groups"]
    }
    assert totals == {gid(free): ("40.00", "0.00", "40.00"), gid(flat): ("15.00", "6.00", "21.00")}
    assert (cart["goodsAmount"]["amount"], cart["shippingFee"]["amount"], cart["total"]["amount"]) == (
        "55.00",
        "6.00",
        "61.00",
    )
    assert cart["groups"][1]["amountToFreeShipping"] is None and cart["allSelected"]

    ids = {i["sku"]["id"]: i["id"] for i in _items(cart)}
    # deselecting one item of the free-shipping merchant drops it under the threshold
    cart = (await api(SELECT, {"ids": [ids[gid(c)]], "sel": False}, token=token))["selectCartItems"]["cart"]
    assert [(g["goodsAmount"]["amount"], g["shippingFee"]["amount"]) for g in cart["groups"]] == [
        ("20.00", "10.00"),
        ("15.00", "6.00"),
    ]
    assert (cart["total"]["amount"], cart["selectedQuantity"], cart["allSelected"]) == ("51.00", 2, False)

    # deselect all: nothing to pay, no shipping; select all again
    cart = (await api(SELECT, {"sel": False}, token=token))["selectCartItems"]["cart"]
    assert (cart["total"]["amount"], cart["shippingFee"]["amount"], cart["selectedQuantity"]) == ("0.00", "0.00", 0)
    assert not any(i["selected"] for i in _items(cart))
    cart = (await api(SELECT, {"sel": True}, token=token))["selectCartItems"]["cart"]
    assert (cart["total"]["amount"], cart["allSelected"]) == ("61.00", True)


async def test_switch_sku_and_merge(api):
    _, product, (s1, s2) = await make_shop(price=1000, skus=2, stock=10)
    _, _, (elsewhere,) = await make_shop()
    user = await make_user()
    token = await token_for(user)
    item_id = _items((await _add(api, token, s1.id, 2))["cart"])[0]["id"]

    switched = (await api(UPDATE, {"id": item_id, "s": gid(s2)}, token=token))["updateCartItem"]
    assert switched["errors"] == [] and [
        (i["id"], i["sku"]["id"], i["quantity"]) for i in _items(switched["cart"])
    ] == [(item_id, gid(s2), 2)]

    # an item of s1 again, switched to s2 with a new quantity: merged into the s2 item
    other_id = _items((await _add(api, token, s1.id, 1))["cart"])[0]["id"]
    merged = (await api(UPDATE, {"id": other_id, "s": gid(s2), "q": 3}, token=token))["updateCartItem"]
    assert merged["errors"] == [] and [(i["id"], i["sku"]["id"], i["quantity"]) for i in _items(merged["cart"])] == [
        (item_id, gid(s2), 5)
    ]

    # another product's SKU, or a merge beyond stock: refused, nothing changed
    await _add(api, token, s1.id, 6)
    before = await _rows(user)
    s1_item = next(r[0] for r in before if r[1] == s1.id)
    wrong = (await api(UPDATE, {"id": gid("CartItem", s1_item), "s": gid(elsewhere)}, token=token))["updateCartItem"]
    assert wrong == {"cart": None, "errors": [{"code": "INVALID_INPUT", "field": ["skuId"]}]}
    too_many = (await api(UPDATE, {"id": gid("CartItem", s1_item), "s": gid(s2)}, token=token))["updateCartItem"]
    assert too_many == {"cart": None, "errors": [{"code": "INSUFFICIENT_STOCK", "field": ["quantity"]}]}
    assert await _rows(user) == before


# --------------------------------------------------------------------------- problems re-checked on read


async def test_problems_grey_out_items_and_leave_the_totals(api):
    _, ok_product, (ok,) = await make_shop(price=1000, stock=10)
    _, delisted_product, (delisted,) = await make_shop(price=2000, stock=10)
    _, _, (short,) = await make_shop(price=3000, stock=10)
    _, limited_product, (limited,) = await make_shop(price=4000, stock=10, purchase_limit=3)
    _, closed_product, (closed,) = await make_shop(price=5000, stock=10)
    buyer, address = await make_buyer()
    token = await token_for(buyer)
    for s, q in ((ok, 1), (delisted, 1), (short, 3), (limited, 2), (closed, 1)):
        assert (await _add(api, token, s.id, q))["errors"] == []
    await place(buyer, address, [(limited.id, 2)])  # now 2 bought: 2 more in the cart is over the limit of 3
    await Product.filter(id=delisted_product.id).update(status="DELISTED", delist_reason="MANUAL")
    await Sku.filter(id=short.id).update(stock=2)
    await Product.filter(id=closed_product.id).update(zone_ends_at=clock.now() - timedelta(hours=1))

    cart = (await api(CART_QUERY, token=token))["cart"]
    problems = {i["sku"]["id"]: i["problem"] for i in _items(cart)}
    assert problems == {
        gid(ok): None,
        gid(delisted): "PRODUCT_UNAVAILABLE",
        gid(short): "INSUFFICIENT_STOCK",
        gid(limited): "PURCHASE_LIMIT_EXCEEDED",
        gid(closed): "ZONE_NOT_OPEN",
    }
    assert (cart["goodsAmount"]["amount"], cart["total"]["amount"], cart["selectedQuantity"]) == ("10.00", "10.00", 1)
    assert all(i["selected"] for i in _items(cart))  # still ticked: the client greys them out
    # lowering the quantity to what is left clears the problem
    short_id = next(i["id"] for i in _items(cart) if i["sku"]["id"] == gid(short))
    cart = (await api(UPDATE, {"id": short_id, "q": 2}, token=token))["updateCartItem"]["cart"]
    assert next(i["problem"] for i in _items(cart) if i["id"] == short_id) is None
    assert cart["goodsAmount"]["amount"] == "70.00"


async def test_purchase_limit_counts_the_products_selected_items_together(api):
    _, _, (s1, s2) = await make_shop(price=1000, skus=2, purchase_limit=3)
    token = await token_for(await make_user())
    await _add(api, token, s1.id, 2)
    cart = (await _add(api, token, s2.id, 2))["cart"]
    assert [i["problem"] for i in _items(cart)] == ["PURCHASE_LIMIT_EXCEEDED"] * 2 and cart["total"]["amount"] == "0.00"
    first = _items(cart)[0]["id"]
    cart = (await api(SELECT, {"ids": [first], "sel": False}, token=token))["selectCartItems"]["cart"]
    assert [(i["selected"], i["problem"]) for i in _items(cart)] == [(False, None), (True, None)]
    assert cart["total"]["amount"] == "20.00"


# --------------------------------------------------------------------------- bad input: exact codes, nothing changed


async def test_bad_writes_are_refused_and_change_nothing(api, monkeypatch):
    _, _, (sku,) = await make_shop(stock=10)
    _, _, (limited,) = await make_shop(stock=10, purchase_limit=3)
    _, off_product, (off,) = await make_shop()
    _, closed_product, (closed,) = await make_shop()
    _, _, (third,) = await make_shop()
    await Product.filter(id=off_product.id).update(status="DELISTED", delist_reason="MANUAL")
    await Product.filter(id=closed_product.id).update(zone_starts_at=clock.now() + timedelta(days=1))
    user = await make_user()
    token = await token_for(user)
    item_id = _items((await _add(api, token, sku.id, 8))["cart"])[0]["id"]
    await _add(api, token, limited.id, 1)
    monkeypatch.setattr(settings, "CART_MAX_ITEMS", 2)
    before = await _rows(user)

    adds = [
        ((sku.id, 0), "INVALID_QUANTITY", "quantity"),
        ((sku.id, -3), "INVALID_QUANTITY", "quantity"),
        ((sku.id, 3), "INSUFFICIENT_STOCK", "quantity"),  # 8 in the cart + 3 > 10
        ((limited.id, 3), "PURCHASE_LIMIT_EXCEEDED", "quantity"),  # 1 + 3 > 3
        ((off.id, 1), "PRODUCT_UNAVAILABLE", "skuId"),
        ((closed.id, 1), "ZONE_NOT_OPEN", "skuId"),
        ((999999, 1), "NOT_FOUND", "skuId"),
        (("abc", 1), "INVALID_ID", "skuId"),
        ((third.id, 1), "CART_FULL", "skuId"),
    ]
    for (sku_id, quantity), code, field in adds:
        assert await _add(api, token, sku_id, quantity) == {
            "cart": None,
            "errors": [{"code": code, "field": at(field)}],
        }, code
    updates = [
        ({"id": item_id, "q": 0}, "INVALID_QUANTITY", "quantity"),
        ({"id": item_id, "q": 11}, "INSUFFICIENT_STOCK", "quantity"),
        ({"id": item_id, "s": gid(off)}, "PRODUCT_UNAVAILABLE", "skuId"),
        ({"id": gid("CartItem", 999999), "q": 1}, "NOT_FOUND", "id"),
    ]
    for variables, code, field in updates:
        result = (await api(UPDATE, variables, token=token))["updateCartItem"]
        assert result == {"cart": None, "errors": [{"code": code, "field": at(field)}]}, code
    assert await _rows(user) == before


async def test_other_users_items_are_not_found(api):
    _, _, (sku,) = await make_shop()
    owner, intruder = await make_user("owner"), await make_user("intruder")
    owner_token, intruder_token = await token_for(owner), await token_for(intruder)
    theirs = _items((await _add(api, owner_token, sku.id, 2))["cart"])[0]["id"]
    mine = _items((await _add(api, intruder_token, sku.id, 1))["cart"])[0]["id"]
    before = (await _rows(owner), await _rows(intruder))
    update = (await api(UPDATE, {"id": theirs, "q": 5}, token=intruder_token))["updateCartItem"]
    assert update == {"cart": None, "errors": [{"code": "NOT_FOUND", "field": ["id"]}]}
    remove = (await api(REMOVE, {"ids": [mine, theirs]}, token=intruder_token))["removeCartItems"]
    select = (await api(SELECT, {"ids": [theirs], "sel": False}, token=intruder_token))["selectCartItems"]
    assert remove == select == {"cart": None, "errors": [{"code": "NOT_FOUND", "field": ["ids"]}]}
    assert (await _rows(owner), await _rows(intruder)) == before
    assert [i["id"] for i in _items((await api(CART_QUERY, token=intruder_token))["cart"])] == [mine]


# --------------------------------------------------------------------------- concurrency


async def test_concurrent_adds_of_one_sku_make_one_item(api):
    _, _, (sku,) = await make_shop(stock=100)
    user = await make_user()
    token = await token_for(user)
    results = await asyncio.gather(*(_add(api, token, sku.id, 2) for _ in range(5)))
    assert all(r["errors"] == [] for r in results), results
    assert [(r[1], r[2]) for r in await _rows(user)] == [(sku.id, 10)]


async def test_concurrent_adds_never_pass_the_stock_together(api):
    _, _, (sku,) = await make_shop(stock=10)
    user = await make_user()
    token = await token_for(user)
    results = await asyncio.gather(*(_add(api, token, sku.id, 3) for _ in range(5)))
    codes = sorted(r["errors"][0]["code"] if r["errors"] else "OK" for r in results)
    assert codes == ["INSUFFICIENT_STOCK"] * 2 + ["OK"] * 3
    assert [(r[1], r[2]) for r in await _rows(user)] == [(sku.id, 9)]


async def test_losing_the_insert_race_adds_to_the_winners_item(api, monkeypatch):
    """Another request inserts the SKU between our look-up and our INSERT: the unique index
    refuses ours, and the units go onto the row that won."""
    _, _, (sku,) = await make_shop(stock=10)
    user = await make_user()
    token = await token_for(user)
    real_get = CartItem.get_or_none
    raced = []

    def get_or_none(*args, **kwargs):
        if not raced:
            raced.append(True)

            async def insert_first():
                await CartItem.create(user_id=user.id, sku_id=sku.id, quantity=3)
                return None  # what our request saw before the other one committed

            return insert_first()
        return real_get(*args, **kwargs)

    monkeypatch.setattr(cart_service.CartItem, "get_or_none", get_or_none)
    result = await _add(api, token, sku.id, 2)
    assert result["errors"] == [] and [i["quantity"] for i in _items(result["cart"])] == [5]
    assert [(r[1], r[2]) for r in await _rows(user)] == [(sku.id, 5)]


# --------------------------------------------------------------------------- sharing


async def test_share_preview_and_import(api):
    merchant, product, (a,) = await make_shop(price=1000, stock=10)
    _, gone_product, (gone,) = await make_shop(price=2000, stock=10)
    _, _, (scarce,) = await make_shop(price=3000, stock=10)
    _, _, (unshared,) = await make_shop()
    sharer, importer = await make_user("sharer"), await make_user("importer")
    sharer_token, importer_token = await token_for(sharer), await token_for(importer)
    for s, q in ((a, 2), (gone, 1), (scarce, 5), (unshared, 1)):
        await _add(api, sharer_token, s.id, q)
    unshared_id = next(r[0] for r in await _rows(sharer) if r[1] == unshared.id)
    await api(SELECT, {"ids": [gid("CartItem", unshared_id)], "sel": False}, token=sharer_token)

    shared = (await api(SHARE, token=sharer_token))["shareCart"]
    assert shared["errors"] == []
    code = shared["share"]["code"]
    assert len(code) == 16 and shared["share"]["url"] == f"{settings.PUBLIC_BASE_URL}/cart/share/{code}"
    assert shared["share"]["itemCount"] == 3
    row = await CartShare.get(code=code)
    assert row.user_id == sharer.id and row.expires_at - clock.now() > timedelta(
        days=settings.CART_SHARE_TTL_DAYS
    ) - timedelta(minutes=1)

    await Product.filter(id=gone_product.id).update(status="DELISTED", delist_reason="MANUAL")
    await Sku.filter(id=scarce.id).update(stock=3)
    preview = (await api(SHARED, {"c": code}, token=importer_token))["sharedCart"]
    assert preview["code"] == code and preview["unavailableCount"] == 1
    by_sku = {i["sku"]["id"]: i for i in preview["items"]}
    assert set(by_sku) == {gid(a), gid(gone), gid(scarce)}
    assert by_sku[gid(a)] == {
        "quantity": 2,
        "available": True,
        "problem": None,
        "sku": {"id": gid(a)},
        "product": {"id": gid(product), "title": product.title, "merchant": {"id": gid(merchant)}},
    }
    assert (by_sku[gid(gone)]["available"], by_sku[gid(gone)]["problem"]) == (False, "PRODUCT_UNAVAILABLE")
    assert by_sku[gid(scarce)]["available"] is True

    await _add(api, importer_token, a.id, 9)  # the importer already has 9 of 10: only 1 more fits
    imported = (await api(IMPORT, {"c": code}, token=importer_token))["importSharedCart"]
    assert (imported["errors"], imported["imported"], imported["skipped"]) == ([], 2, 1)
    assert {i["sku"]["id"]: i["quantity"] for i in _items(imported["cart"])} == {gid(a): 10, gid(scarce): 3}
    # again: nothing more fits, everything is skipped; the sharer's cart is untouched
    again = (await api(IMPORT, {"c": code}, token=importer_token))["importSharedCart"]
    assert (again["imported"], again["skipped"]) == (0, 3)
    assert [(r[1], r[2]) for r in await _rows(sharer)] == [(a.id, 2), (gone.id, 1), (scarce.id, 5), (unshared.id, 1)]


async def test_share_errors_unknown_and_expired_codes(api):
    _, _, (sku,) = await make_shop()
    sharer, importer = await make_user("sharer"), await make_user("importer")
    sharer_token, importer_token = await token_for(sharer), await token_for(importer)
    assert (await api(SHARE, token=sharer_token))["shareCart"] == {
        "share": None,
        "errors": [{"code": "CART_EMPTY", "field": None}],
    }
    await _add(api, sharer_token, sku.id, 1)
    code = (await api(SHARE, token=sharer_token))["shareCart"]["share"]["code"]

    assert await api.error_code(SHARED, {"c": "nosuchcode"}, token=importer_token) == "NOT_FOUND"
    unknown = (await api(IMPORT, {"c": "nosuchcode"}, token=importer_token))["importSharedCart"]
    assert unknown["errors"] == [{"code": "NOT_FOUND", "field": ["code"]}]

    clock.advance(timedelta(days=settings.CART_SHARE_TTL_DAYS, seconds=1))
    importer_token = await token_for(importer)  # the old access token has expired too
    assert await api.error_code(SHARED, {"c": code}, token=importer_token) == "SHARE_EXPIRED"
    expired = (await api(IMPORT, {"c": code}, token=importer_token))["importSharedCart"]
    assert expired == {
        "imported": 0,
        "skipped": 0,
        "cart": None,
        "errors": [{"code": "SHARE_EXPIRED", "field": ["code"]}],
    }
    assert await CartItem.filter(user_id=importer.id).count() == 0


# --------------------------------------------------------------------------- constant query count


@pytest.mark.parametrize("merchants,per_merchant", [(1, 2), (4, 3)])
async def test_cart_costs_constant_queries(api, merchants, per_merchant):
    buyer, _ = await make_buyer()
    token = await token_for(buyer)
    for _ in range(merchants):
        _, _, skus = await make_shop(skus=per_merchant, purchase_limit=50)
        for s in skus:
            await _add(api, token, s.id, 1)
    query = """{ cart { total { amount } groups { merchant { name } shippingFee { amount } items {
      quantity problem amount { amount } sku { code price { amount } specValues { value } product { title } }
      product { title merchant { name } skus { id } } } } } }"""
    with count_queries() as counter:
        data = await api(query, token=token)
    assert (
        len(data["cart"]["groups"]) == merchants
        and sum(len(g["items"]) for g in data["cart"]["groups"]) == merchants * per_merchant
    )
    # session check, the joined items, units bought (limits), the products' SKU lists
    assert counter.count == 4, counter.statements
