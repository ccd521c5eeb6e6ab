"""Factories for order tests: buyers with an address and wallet money, shops with stock."""

from __future__ import annotations

import itertools
import uuid

from models.accounts import Address, User
from models.merchants import Merchant, Store
from services.ledger import ledger
from services.ledger.ledger import Posting, Purpose
from services.orders import checkout
from tests.catalog_factories import make_merchant, make_product, sku
from tests.helpers import make_user

_SEQ = itertools.count(1)


async def fund_wallet(user: User, amount: int) -> None:
    """Credit the user's 零钱 from the platform's promotion budget (as a reward would)."""
    source = await ledger.platform_account(Purpose.PROMOTION_EXPENSE)
    wallet = await ledger.user_account(user.id, Purpose.WALLET)
    await ledger.post("TEST_CREDIT", [Posting(source.id, -amount), Posting(wallet.id, amount)])


async def make_buyer(nickname: str = "buyer", *, wallet: int = 0) -> tuple[User, Address]:
    user = await make_user(nickname)
    address = await Address.create(
        user_id=user.id,
        recipient="张三",
        phone="+8613900000000",
        province_code="330000",
        city_code="330100",
        county_code="330106",
        region_name="浙江省杭州市西湖区",
        detail="文三路 1 号",
        is_default=True,
    )
    if wallet:
        await fund_wallet(user, wallet)
    return user, address


async def make_shop(
    *,
    price: int = 1000,
    stock: int = 10,
    shipping_fee: int = 0,
    free_threshold: int = 0,
    skus: int = 1,
    sku_fields: dict | None = None,
    **product_fields,
):
    """An active merchant with one listed product; returns (merchant, product, [sku rows])."""
    merchant = await make_merchant(shipping_fee=shipping_fee, free_shipping_threshold=free_threshold)
    product = await make_product(
        merchant,
        title=product_fields.pop("title", f"商品{next(_SEQ)}"),
        skus=[sku(price=price, stock=stock, **(sku_fields or {})) for _ in range(skus)],
        **product_fields,
    )
    rows = await product.skus.all().order_by("id")
    return merchant, product, rows


async def make_store(merchant: Merchant) -> Store:
    return await Store.create(
        merchant_id=merchant.id,
        name=f"门店{next(_SEQ)}",
        province_code="330000",
        city_code="330100",
        county_code="330106",
        address="文三路 2 号",
        latitude=30.27,
        longitude=120.13,
        invite_code=f"ST{next(_SEQ):06d}",
    )


async def place(buyer: User, address: Address | None, lines: list[tuple[int, int]], **kwargs) -> checkout.Placed:
    return await checkout.place_order(
        buyer.id,
        checkout.CheckoutRequest(
            idempotency_key=kwargs.pop("key", uuid.uuid4().hex),
            items=tuple(checkout.LineRequest(s, q) for s, q in lines),
            address_id=address.id if address else None,
            **kwargs,
        ),
    )


async def make_consignment_pair(
    retail_price: int = 2200, wholesale_price: int = 440, vouchers: int = 2, stock: int = 100
):
    """The self-operated merchant's retail product granting `vouchers` per unit for its
    wholesale twin (CON-1): returns (merchant, retail SKU, wholesale SKU)."""
    merchant = await make_merchant(kind="SELF_OPERATED")
    wholesale = await make_product(
        merchant,
        title="e趣 批发",
        zone="WHOLESALE",
        skus=[sku(price=retail_price, stock=stock, wholesale_price=wholesale_price)],
    )
    retail = await make_product(
        merchant,
        title="e趣 零售",
        zone="RETAIL",
        vouchers_per_unit=vouchers,
        voucher_product_id=wholesale.id,
        skus=[sku(price=retail_price, stock=stock)],
    )
    return merchant, (await retail.skus.all())[0], (await wholesale.skus.all())[0]
