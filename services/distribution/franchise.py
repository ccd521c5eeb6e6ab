"""Franchise stores (加盟门店, MEM-3): a store's franchisee (the user who earns for it) is
named by a platform admin (franchise.manage) or the store's merchant owner; users bind to a
store through its invite code (one store per user, for good); the store earns

- a share (STORE_SHARE, settings 3-20 % in basis points) of the goods amount of its bound
  members' paid orders, booked at payment;
- a fixed reward per pickup it hands over (STORE_PICKUP, fen), booked when the pickup code
  is verified at that store (order_hooks.PICKED_UP) and spread over the order's lines in
  proportion to what is left of them, so a later refund reverses it pro rata.

Both are commissions (services.distribution.commissions) with the franchisee as beneficiary: reversed on
refunds, released after completion + the freeze, capped with every other commission of the
line (the store share after the agents, the pickup reward last). The terms live with the
agent rates (services.distribution.agents: PartnerSettings).

A pickup racing a refund of the same order: the pickup's state change (a conditional UPDATE
of the order row) and the refund's order lock (FOR NO KEY UPDATE) exclude each other, so
the reward is computed on the lines as the other left them, and `booked_refunded_quantity`
records the units already refunded (PostgreSQL race test: tests/services/test_agent_races.py).
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from models.accounts import User
from models.agents import StoreFranchise, StoreFranchiseChange, StoreMember
from models.merchants import Store
from models.orders import Order, OrderLine
from services.accounts.access import Grants
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.core.money import allocate
from services.distribution import (
    agents,  # the partner settings (imported lazily by use: the modules import each other)
    commissions,
)
from services.distribution.commissions import KIND_STORE_PICKUP, KIND_STORE_SHARE, Claim


async def _store(store_id: int) -> Store:
    store = await Store.get_or_none(id=store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such store.", "storeId")
    return store


async def set_franchisee(grants: Grants, actor_id: int, store_id: int, user_id: int) -> StoreFranchise:
    """Name (or replace) the store's franchisee: franchise.manage, or the merchant's owner
    (merchant.staff). Commissions already booked stay with whom they were booked for."""
    store = await _store(store_id)
    if not (grants.has("franchise.manage") or grants.has("merchant.staff", ("MERCHANT", store.merchant_id))):
        raise DomainError(ErrorCode.FORBIDDEN, "This needs franchise.manage, or to own the store's merchant.")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such user.", "userId")
    if not user.is_active:
        raise DomainError(ErrorCode.ACCOUNT_DISABLED, "A disabled account cannot be a franchisee.", "userId")
    async with unit_of_work() as conn:
        current = await StoreFranchise.filter(store_id=store_id).using_db(conn).select_for_update().first()
        if current is None:
            try:
                async with unit_of_work() as inner:  # a savepoint: a concurrent first naming may win
                    await StoreFranchise.create(
                        store_id=store_id, franchisee_id=user_id, assigned_by_id=actor_id, using_db=inner
                    )
                before = None
            except IntegrityError:
                current = await StoreFranchise.filter(store_id=store_id).using_db(conn).select_for_update().first()
        if current is not None:
            before = current.franchisee_id
            await (
                StoreFranchise.filter(id=current.id)
                .using_db(conn)
                .update(franchisee_id=user_id, assigned_by_id=actor_id)
            )
        await StoreFranchiseChange.create(
            store_id=store_id, before_user_id=before, after_user_id=user_id, actor_id=actor_id, using_db=conn
        )
    return await StoreFranchise.get(store_id=store_id)


async def bind(user_id: int, code: str) -> StoreMember:
    """Bind the user to the active store whose invite code this is (once, for good)."""
    code = (code or "").strip().upper()
    store = await Store.get_or_none(invite_code=code, is_active=True) if code else None
    if store is None:
        raise DomainError(ErrorCode.STORE_CODE_INVALID, "No store has this invite code.", "code")
    if await StoreMember.exists(user_id=user_id):
        raise DomainError(ErrorCode.STORE_ALREADY_BOUND, "You are bound to a store already.", "code")
    try:
        async with unit_of_work():
            return await StoreMember.create(user_id=user_id, store_id=store.id)
    except IntegrityError:  # a concurrent binding of the same user won
        raise DomainError(ErrorCode.STORE_ALREADY_BOUND, "You are bound to a store already.", "code") from None


async def my_membership(user_id: int) -> StoreMember | None:
    return await StoreMember.get_or_none(user_id=user_id)


async def my_stores(user_id: int) -> list[StoreFranchise]:
    return await StoreFranchise.filter(franchisee_id=user_id).order_by("store_id")


async def member_counts(store_ids: list[int]) -> dict[int, int]:
    from tortoise.functions import Count

    rows = (
        await StoreMember.filter(store_id__in=store_ids)
        .group_by("store_id")
        .annotate(n=Count("id"))
        .values("store_id", "n")
    )
    return {r["store_id"]: int(r["n"]) for r in rows}


async def _franchisee(store_id: int, conn) -> int | None:
    """The store's active franchisee, if the store is active and has one."""
    rows = (
        await StoreFranchise.filter(store_id=store_id, store__is_active=True, franchisee__is_active=True)
        .using_db(conn)
        .values_list("franchisee_id", flat=True)
    )
    return rows[0] if rows else None


async def share_claims(order: Order, lines: list, conn) -> list[Claim]:
    """Claim provider at payment: the franchisee of the buyer's store asks its share."""
    stores = await StoreMember.filter(user_id=order.buyer_id).using_db(conn).values_list("store_id", flat=True)
    if not stores:
        return []
    franchisee = await _franchisee(stores[0], conn)
    if franchisee is None:
        return []
    rate = (await agents.current_terms(conn)).store_share_bp
    asks = {ln.id: (ln.amount - ln.refunded_amount) * rate // 10_000 for ln in lines}
    return [Claim(KIND_STORE_SHARE, 1, franchisee, asks, store_id=stores[0])]


async def on_picked_up(order: Order, conn) -> None:
    """PICKED_UP step: the handing store's franchisee earns the pickup reward, spread
    over the order's lines by what is left of them (net of refunds)."""
    if order.store_id is None:
        return
    franchisee = await _franchisee(order.store_id, conn)
    reward = (await agents.current_terms(conn)).pickup_reward
    if franchisee is None or reward <= 0:
        return
    lines = list(await OrderLine.filter(order_id=order.id).using_db(conn).order_by("id"))
    weights = [max(ln.amount - ln.refunded_amount, 0) for ln in lines]
    if not any(weights):
        return
    asks = dict(zip([ln.id for ln in lines], allocate(reward, weights)))
    claim = Claim(KIND_STORE_PICKUP, 1, franchisee, asks, store_id=order.store_id)
    await commissions.book_claims(order, lines, [claim], conn, idempotency_key=f"commission:pickup:{order.id}")
