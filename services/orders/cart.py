"""Shopping cart (ORD-1): items, selection, live totals with shipping, shared carts.

A cart is the user's CartItem rows, one per SKU (unique (user, sku)). Nothing about price
or availability is stored: every read re-checks each item against the catalog and what
the buyer already bought, so an item whose product was delisted, ran short or hit its
purchase limit carries a problem code and stays out of the totals.

Writes never read-modify-write a quantity: adding to an item is one conditional UPDATE
(`quantity = quantity + n WHERE quantity <= cap - n`), and a new item's INSERT that loses a
race to the unique index turns into adding to the winner's row. So two concurrent "add" taps of one SKU end as one item with both amounts,
never as a unique-constraint error. CART_MAX_ITEMS is counted before inserting: requests
racing on a nearly full cart may pass it by one or two rows, which is harmless.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

import settings
from models.catalog import Sku
from models.merchants import Merchant
from models.orders import CartItem, CartShare
from services.catalog.limits import MAX_STOCK
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.membership import membership
from services.orders import pricing
from services.orders.checkout import bought_quantities, sellable_problem

_RETRIES = 3  # attempts before giving up on a cart changing under us
SHARE_CODE_BYTES = 12  # 96 random bits: 16 URL-safe characters, the column's width


# --------------------------------------------------------------------------- the cart view


@dataclass
class CartLine:
    id: int
    sku: Sku  # with .product and .product.merchant loaded
    quantity: int
    selected: bool
    unit_price: int
    problem: ErrorCode | None = None  # why it cannot be bought now; None: it can

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity

    @property
    def counted(self) -> bool:
        """Whether it is in the totals: selected and buyable."""
        return self.selected and self.problem is None


@dataclass
class MerchantGroup:
    merchant: Merchant
    lines: list[CartLine]
    goods_amount: int = 0  # of the counted lines
    shipping_fee: int = 0

    @property
    def total(self) -> int:
        return self.goods_amount + self.shipping_fee

    @property
    def amount_to_free_shipping(self) -> int | None:
        """Goods still to add for free shipping; None when this merchant never charges or never waives it."""
        if self.merchant.shipping_fee <= 0 or self.merchant.free_shipping_threshold <= 0:
            return None
        return max(self.merchant.free_shipping_threshold - self.goods_amount, 0)


@dataclass
class CartView:
    groups: list[MerchantGroup] = field(default_factory=list)

    @property
    def lines(self) -> list[CartLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def goods_amount(self) -> int:
        return sum(g.goods_amount for g in self.groups)

    @property
    def shipping_fee(self) -> int:
        return sum(g.shipping_fee for g in self.groups)

    @property
    def total(self) -> int:
        return self.goods_amount + self.shipping_fee

    @property
    def selected_quantity(self) -> int:
        return sum(line.quantity for line in self.lines if line.counted)


def line_problems(lines: list[CartLine], bought: dict[int, int], now) -> None:
    """Set each line's problem (pure). A purchase limit counts the units already bought
    plus, for a selected line, every selected buyable line of the same product (they
    would be checked out together); an unselected line is judged on its own."""
    for line in lines:
        found = sellable_problem(line.sku, now)
        line.problem = found[0] if found else None
        if line.problem is None and line.quantity > line.sku.stock:
            line.problem = ErrorCode.INSUFFICIENT_STOCK
    selected: dict[int, int] = {}
    for line in lines:
        if line.counted:
            selected[line.sku.product_id] = selected.get(line.sku.product_id, 0) + line.quantity
    for line in lines:
        limit = line.sku.product.purchase_limit
        if line.problem is None and limit:
            wanted = selected[line.sku.product_id] if line.selected else line.quantity
            if bought.get(line.sku.product_id, 0) + wanted > limit:
                line.problem = ErrorCode.PURCHASE_LIMIT_EXCEEDED


def group_lines(lines: list[CartLine]) -> list[MerchantGroup]:
    """Lines per merchant in first-seen order, with goods and shipping of the counted lines (pure)."""
    groups: dict[int, MerchantGroup] = {}
    for line in lines:
        merchant = line.sku.product.merchant
        groups.setdefault(merchant.id, MerchantGroup(merchant, [])).lines.append(line)
    templates = {
        mid: pricing.ShippingTemplate(g.merchant.shipping_fee, g.merchant.free_shipping_threshold)
        for mid, g in groups.items()
    }
    counted = [(line.sku.product.merchant_id, line.amount) for line in lines if line.counted]
    for total in pricing.merchant_totals(counted, templates):
        groups[total.merchant_id].goods_amount = total.goods_amount
        groups[total.merchant_id].shipping_fee = total.shipping_fee
    return list(groups.values())


def unit_price(sku: Sku, is_member: bool = False) -> int:
    return pricing.unit_price(sku.product.zone, sku.price, sku.wholesale_price, sku.member_price, is_member)


async def _bought(user_id: int, skus: Iterable[Sku]) -> dict[int, int]:
    """Units bought so far of the given SKUs' products that have a purchase limit."""
    limited = list({s.product_id for s in skus if s.product.purchase_limit})
    return await bought_quantities(user_id, limited) if limited else {}


async def view(user_id: int) -> CartView:
    """The cart, newest items first, grouped by merchant, re-checked now. Three queries at
    most (the items with SKU, product and merchant joined; units already bought; membership, if a member price is set)."""
    rows = await CartItem.filter(user_id=user_id).select_related("sku__product__merchant").order_by("-id")
    # MEM-1: members see member prices (asked only when a member price could apply)
    is_member = any(r.sku.member_price is not None for r in rows) and await membership.is_member(user_id)
    lines = [CartLine(r.id, r.sku, r.quantity, r.selected, unit_price(r.sku, is_member)) for r in rows]
    line_problems(lines, await _bought(user_id, (line.sku for line in lines)), clock.now())
    return CartView(group_lines(lines))


# --------------------------------------------------------------------------- checks


def _valid_quantity(quantity: int, field: str = "quantity") -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1 or quantity > MAX_STOCK:
        raise DomainError(ErrorCode.INVALID_QUANTITY, "A quantity is a whole number of at least 1.", field)
    return quantity


async def _sellable_sku(sku_id: int, field: str) -> Sku:
    sku = await Sku.get_or_none(id=sku_id).select_related("product__merchant")
    if sku is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such SKU.", field)
    found = sellable_problem(sku, clock.now())
    if found:
        raise DomainError(found[0], found[1], field)
    return sku


def _cap(sku: Sku, bought: dict[int, int]) -> int:
    """Most units one cart item of this SKU may hold: its stock and what the limit leaves."""
    cap = sku.stock
    if sku.product.purchase_limit:
        cap = min(cap, sku.product.purchase_limit - bought.get(sku.product_id, 0))
    return max(cap, 0)


def _check_quantity(sku: Sku, quantity: int, bought: dict[int, int], field: str = "quantity") -> None:
    if quantity > sku.stock:
        raise DomainError(ErrorCode.INSUFFICIENT_STOCK, f"Only {sku.stock} of {sku.product.title} in stock.", field)
    limit = sku.product.purchase_limit
    if limit and bought.get(sku.product_id, 0) + quantity > limit:
        raise DomainError(
            ErrorCode.PURCHASE_LIMIT_EXCEEDED,
            f"{sku.product.title}: at most {limit} per customer (you already bought {bought.get(sku.product_id, 0)}).",
            field,
        )


async def _own_items(user_id: int, ids: Iterable[int], field: str = "ids") -> set[int]:
    """The ids, all of them the user's cart items; another user's id is NOT_FOUND."""
    wanted = set(ids)
    if await CartItem.filter(user_id=user_id, id__in=wanted).count() != len(wanted):
        raise DomainError(ErrorCode.NOT_FOUND, "No such cart item.", field)
    return wanted


async def _put(user_id: int, sku: Sku, quantity: int, bought: dict[int, int], *, capped: bool) -> int:
    """Add `quantity` of `sku` to the cart (to its item if there is one); returns the units
    added. Strict (capped=False): refuses with the reason when stock, limit or room do not
    allow it. Capped: adds what they allow, possibly nothing (shared-cart import)."""
    cap = _cap(sku, bought)
    for _ in range(_RETRIES):
        existing = await CartItem.get_or_none(user_id=user_id, sku_id=sku.id)
        have = existing.quantity if existing else 0
        add = min(quantity, cap - have) if capped else quantity
        if add <= 0:
            return 0
        if not capped:
            _check_quantity(sku, have + add, bought)
        if existing is not None:
            # Atomic and conditional: adds only while the item stays within the cap, whatever
            # concurrent adds did since we read it. 0 rows: it grew (or went) meanwhile; read
            # again, and refuse with the reason if it no longer fits.
            if await CartItem.filter(id=existing.id, quantity__lte=cap - add).update(
                quantity=F("quantity") + add, selected=True, updated_at=clock.now()
            ):
                return add
            continue
        if await CartItem.filter(user_id=user_id).count() >= settings.CART_MAX_ITEMS:
            if capped:
                return 0
            raise DomainError(
                ErrorCode.CART_FULL, f"A cart holds at most {settings.CART_MAX_ITEMS} different items.", "skuId"
            )
        try:
            async with (
                unit_of_work()
            ):  # a savepoint when nested: a failed INSERT must not poison the caller's transaction
                await CartItem.create(user_id=user_id, sku_id=sku.id, quantity=add, selected=True)
            return add
        except IntegrityError:
            continue  # a concurrent request inserted this SKU first: add to its row instead
    raise DomainError(ErrorCode.INVALID_INPUT, "The cart changed while updating it; please try again.", "skuId")


# --------------------------------------------------------------------------- writes


async def add_item(user_id: int, sku_id: int, quantity: int) -> None:
    """Put a SKU in the cart, or add to its item's quantity (the item becomes selected)."""
    quantity = _valid_quantity(quantity)
    sku = await _sellable_sku(sku_id, "skuId")
    await _put(user_id, sku, quantity, await _bought(user_id, [sku]), capped=False)


async def change_item(user_id: int, item_id: int, quantity: int | None = None, sku_id: int | None = None) -> None:
    """Set an item's quantity and/or switch it to another SKU of the same product; switching
    to a SKU already in the cart merges the two items (quantities added)."""
    item = await CartItem.get_or_none(id=item_id, user_id=user_id).select_related("sku")
    if item is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such cart item.", "id")
    quantity = item.quantity if quantity is None else _valid_quantity(quantity)
    if sku_id is None or sku_id == item.sku_id:
        sku = await _sellable_sku(item.sku_id, "id")
        _check_quantity(sku, quantity, await _bought(user_id, [sku]))
        await CartItem.filter(id=item.id).update(quantity=quantity, updated_at=clock.now())
        return
    sku = await _sellable_sku(sku_id, "skuId")
    if sku.product_id != item.sku.product_id:
        raise DomainError(ErrorCode.INVALID_INPUT, "Switch only to another SKU of the same product.", "skuId")
    bought = await _bought(user_id, [sku])
    for _ in range(_RETRIES):
        try:
            async with unit_of_work() as conn:
                other = await CartItem.filter(user_id=user_id, sku_id=sku.id).using_db(conn).select_for_update().first()
                if other is None:
                    _check_quantity(sku, quantity, bought)
                    await (
                        CartItem.filter(id=item.id)
                        .using_db(conn)
                        .update(sku_id=sku.id, quantity=quantity, updated_at=clock.now())
                    )
                    return
                _check_quantity(sku, other.quantity + quantity, bought)
                await (
                    CartItem.filter(id=other.id)
                    .using_db(conn)
                    .update(
                        quantity=other.quantity + quantity,
                        selected=other.selected or item.selected,
                        updated_at=clock.now(),
                    )
                )
                await CartItem.filter(id=item.id).using_db(conn).delete()
                return
        except IntegrityError:
            continue  # the target SKU was added concurrently: merge into it
    raise DomainError(ErrorCode.INVALID_INPUT, "The cart changed while updating it; please try again.", "skuId")


async def remove_items(user_id: int, item_ids: list[int]) -> None:
    async with unit_of_work():
        ids = await _own_items(user_id, item_ids)
        await CartItem.filter(user_id=user_id, id__in=ids).delete()


async def select_items(user_id: int, item_ids: list[int] | None, selected: bool) -> None:
    """(De)select the given items, or every item when `item_ids` is None."""
    async with unit_of_work():
        query = CartItem.filter(user_id=user_id)
        if item_ids is not None:
            query = query.filter(id__in=await _own_items(user_id, item_ids))
        await query.update(selected=selected)


# --------------------------------------------------------------------------- sharing


@dataclass
class SharedLine:
    sku: Sku  # with .product and .product.merchant loaded
    quantity: int
    problem: ErrorCode | None  # why it cannot be imported now; None: it can

    @property
    def available(self) -> bool:
        return self.problem is None


@dataclass
class SharedCart:
    share: CartShare
    lines: list[SharedLine]
    missing: int  # shared SKUs deleted since


def share_url(code: str) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/cart/share/{code}"


async def share(user_id: int) -> CartShare:
    """Snapshot the selected items (SKU and quantity) under a random code that expires."""
    rows = await CartItem.filter(user_id=user_id, selected=True).order_by("-id").values_list("sku_id", "quantity")
    if not rows:
        raise DomainError(ErrorCode.CART_EMPTY, "Select the items to share first.", None)
    items = [{"sku_id": sku_id, "quantity": quantity} for sku_id, quantity in rows]
    expires_at = clock.now() + timedelta(days=settings.CART_SHARE_TTL_DAYS)
    while True:
        try:
            return await CartShare.create(
                code=secrets.token_urlsafe(SHARE_CODE_BYTES), user_id=user_id, items=items, expires_at=expires_at
            )
        except IntegrityError:  # a code collision (2^-96 odds): draw again
            continue


async def _live_share(code: str) -> CartShare:
    share_row = await CartShare.get_or_none(code=code) if isinstance(code, str) and 0 < len(code) <= 16 else None
    if share_row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such shared cart.", "code")
    if share_row.expires_at <= clock.now():
        raise DomainError(ErrorCode.SHARE_EXPIRED, "This shared cart has expired.", "code")
    return share_row


async def shared_cart(user_id: int, code: str) -> SharedCart:
    """A shared cart as the viewer would import it: each item with whether it still can be
    (on sale, in stock, the viewer's purchase limit not used up)."""
    return (await _shared(user_id, code))[0]


async def _shared(user_id: int, code: str) -> tuple[SharedCart, dict[int, int]]:
    share_row = await _live_share(code)
    wanted = {int(i["sku_id"]): int(i["quantity"]) for i in share_row.items}
    skus = {s.id: s for s in await Sku.filter(id__in=list(wanted)).select_related("product__merchant")}
    bought = await _bought(user_id, skus.values())
    now = clock.now()
    lines = []
    for sku_id, quantity in wanted.items():
        if sku_id in skus:
            sku = skus[sku_id]
            found = sellable_problem(sku, now)
            problem = found[0] if found else None
            if problem is None and _cap(sku, bought) <= 0:
                problem = ErrorCode.INSUFFICIENT_STOCK if sku.stock <= 0 else ErrorCode.PURCHASE_LIMIT_EXCEEDED
            lines.append(SharedLine(sku, quantity, problem))
    return SharedCart(share_row, lines, missing=len(wanted) - len(lines)), bought


@dataclass(frozen=True)
class Imported:
    imported: int  # shared items added to the cart (possibly fewer units than shared)
    skipped: int  # shared items not added: unavailable, nothing left to add, or the cart full


async def import_shared(user_id: int, code: str) -> Imported:
    """Add a shared cart's available items to the user's cart, quantities capped by stock
    and purchase limits (counting what the cart already holds)."""
    found, bought = await _shared(user_id, code)
    imported = 0
    async with unit_of_work():
        for line in found.lines:
            if line.available and await _put(user_id, line.sku, line.quantity, bought, capped=True):
                imported += 1
    return Imported(imported, len(found.lines) + found.missing - imported)
