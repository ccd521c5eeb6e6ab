"""Wholesale snap-up sessions (抢购, CON-7, model 2.0): in a time window, voucher holders
compete for a limited number of units. A winner gets an unpaid wholesale order (its
voucher reserved, paid like any order); a holder who misses out receives shopping coins.

A join is one unit of work: the entry row first (unique per session and user: nobody
joins twice, nobody both wins and loses), then one conditional UPDATE takes a unit
(`remaining > 0`), so exactly `units` holders win however many race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from models.accounts import Address
from models.catalog import Sku
from models.consignment import SnapUpEntry, SnapUpSession, Voucher
from services.consignment.vouchers import UNUSED
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.ledger import ledger
from services.ledger.ledger import Posting, Purpose
from services.orders import checkout

COIN = "COIN"


@dataclass(frozen=True)
class SessionData:
    sku_id: int
    starts_at: datetime
    ends_at: datetime
    units: int
    consolation_coins: int = 0


async def create_session(actor_id: int, data: SessionData) -> SnapUpSession:
    sku = await Sku.get_or_none(id=data.sku_id).select_related("product")
    if sku is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such SKU.", "skuId")
    if sku.product.zone != "WHOLESALE":
        raise DomainError(ErrorCode.INVALID_INPUT, "Snap-up sessions sell wholesale-zone products.", "skuId")
    if data.ends_at <= data.starts_at or data.ends_at <= clock.now():
        raise DomainError(ErrorCode.INVALID_DATE_RANGE, "A session ends after it starts, in the future.", "endsAt")
    if not 1 <= data.units <= sku.stock:
        raise DomainError(ErrorCode.INVALID_STOCK, f"Between 1 and the SKU's stock ({sku.stock}) units.", "units")
    if not 0 <= data.consolation_coins <= ledger.MAX_AMOUNT:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "Coins are 0 or more.", "consolationCoins")
    return await SnapUpSession.create(
        product_id=sku.product_id,
        sku_id=sku.id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        units=data.units,
        remaining=data.units,
        consolation_coins=data.consolation_coins,
        created_by_id=actor_id,
    )


async def _usable_voucher(user_id: int, product_id: int) -> bool:
    return (
        await Voucher.filter(
            owner_id=user_id, status=UNUSED, expires_at__gt=clock.now(), scope_product_id__in=[product_id]
        ).exists()
        or await Voucher.filter(
            owner_id=user_id, status=UNUSED, expires_at__gt=clock.now(), scope_product_id=None
        ).exists()
    )


async def join(user_id: int, session_id: int, address_id: int | None = None) -> SnapUpEntry:
    session = await SnapUpSession.get_or_none(id=session_id)
    if session is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such snap-up session.", "sessionId")
    now = clock.now()
    if not session.starts_at <= now < session.ends_at:
        raise DomainError(ErrorCode.SNAPUP_CLOSED, "This snap-up session is not open.", "sessionId")
    if await SnapUpEntry.exists(session_id=session.id, user_id=user_id):
        raise DomainError(ErrorCode.SNAPUP_ALREADY_JOINED, "You already took part in this session.", "sessionId")
    if not await _usable_voucher(user_id, session.product_id):
        raise DomainError(ErrorCode.VOUCHER_REQUIRED, "A usable wholesale voucher is needed to take part.", "sessionId")
    if address_id is None:
        defaults = (
            await Address.filter(user_id=user_id).order_by("-is_default", "-id").limit(1).values_list("id", flat=True)
        )
        address_id = defaults[0] if defaults else None
    try:
        async with unit_of_work() as conn:
            entry = await SnapUpEntry.create(session_id=session.id, user_id=user_id, result="LOST", using_db=conn)
            won = (
                await SnapUpSession.filter(id=session.id, remaining__gt=0, ends_at__gt=now)
                .using_db(conn)
                .update(remaining=F("remaining") - 1)
            )
            if won:
                placed = await checkout.place_order(
                    user_id,
                    checkout.CheckoutRequest(
                        idempotency_key=f"snapup-{session.id}-{user_id}",
                        items=(checkout.LineRequest(session.sku_id, 1),),
                        address_id=address_id,
                    ),
                )
                await SnapUpEntry.filter(id=entry.id).using_db(conn).update(result="WON", order_id=placed.orders[0].id)
            elif session.consolation_coins:
                budget = await ledger.platform_account(Purpose.PROMOTION_EXPENSE, COIN)
                coins = await ledger.user_account(user_id, Purpose.COINS, COIN)
                await ledger.post(
                    "SNAPUP_CONSOLATION",
                    [Posting(budget.id, -session.consolation_coins), Posting(coins.id, session.consolation_coins)],
                    idempotency_key=f"snapup-coins:{session.id}:{user_id}",
                    reference_type="SNAPUP_SESSION",
                    reference_id=str(session.id),
                )
                await SnapUpEntry.filter(id=entry.id).using_db(conn).update(coins=session.consolation_coins)
    except IntegrityError:
        raise DomainError(
            ErrorCode.SNAPUP_ALREADY_JOINED, "You already took part in this session.", "sessionId"
        ) from None
    return await SnapUpEntry.get(id=entry.id)


async def give_back(order, conn) -> None:
    """A won unit's order was cancelled (unpaid in time, or by the buyer): the unit goes
    back to its session while the session is open, for the next holder to win. The entry
    stays (FORFEIT): one try per holder and session."""
    forfeited = await SnapUpEntry.filter(order_id=order.id, result="WON").using_db(conn).update(result="FORFEIT")
    if forfeited:
        entry = await SnapUpEntry.get(order_id=order.id).using_db(conn)
        await (
            SnapUpSession.filter(id=entry.session_id, ends_at__gt=clock.now())
            .using_db(conn)
            .update(remaining=F("remaining") + 1)
        )


def open_sessions(product_id: int | None = None):
    query = SnapUpSession.filter(ends_at__gt=clock.now())
    return query.filter(product_id=product_id) if product_id else query
