"""Factories for catalog tests: merchants (rows made directly), staff, categories, products."""

from __future__ import annotations

import itertools

from models.accounts import User
from models.merchants import Merchant, MerchantStaff
from services.accounts.access import Grants, load_grants
from services.catalog import products as catalog
from tests.helpers import make_user

_SEQ = itertools.count(1)


async def make_merchant(owner: User | None = None, *, status: str = "ACTIVE", **fields) -> Merchant:
    owner = owner or await make_user("owner")
    return await Merchant.create(name=f"店铺{next(_SEQ)}", owner_id=owner.id, status=status, **fields)


async def make_staff(merchant: Merchant, permissions: list[str] = ("merchant.products",)) -> User:
    user = await make_user("staff")
    await MerchantStaff.create(merchant_id=merchant.id, user_id=user.id, permissions=list(permissions))
    return user


async def owner_grants(merchant: Merchant) -> Grants:
    return await load_grants(merchant.owner_id)


def sku(code: str | None = None, price: int = 1000, stock: int = 10, **fields) -> catalog.SkuData:
    return catalog.SkuData(
        code=code or f"SKU-{next(_SEQ)}",
        spec_values=fields.pop("spec_values", {}),
        price=price,
        initial_stock=stock,
        **fields,
    )


async def make_product(
    merchant: Merchant,
    category_id: int | None = None,
    *,
    title: str = "红色连衣裙",
    skus: list[catalog.SkuData] | None = None,
    listed: bool = True,
    **fields,
):
    if category_id is None:
        category_id = (await catalog.create_category(f"类目{next(_SEQ)}")).id
    grants = await owner_grants(merchant)
    skus = skus if skus is not None else [sku()]
    if len(skus) > 1 and "spec_dimensions" not in fields and not any(s.spec_values for s in skus):
        # Several SKUs need a dimension to tell them apart: one value per SKU code.
        fields["spec_dimensions"] = [catalog.SpecDimensionData("规格", [s.code for s in skus])]
        for s in skus:
            s.spec_values = {"规格": s.code}
    product = await catalog.create_product(
        grants,
        merchant.owner_id,
        merchant.id,
        catalog.ProductData(category_id=category_id, title=title, **fields),
        skus,
    )
    if listed:
        product = await catalog.list_product(grants, product.id)
    return product
