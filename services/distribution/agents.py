"""Regional agents (区域代理, MEM-2): an admin appoints a user agent of a province, city or
county (by its GB/T 2260 code); the agent earns its level's rate of the goods amount of
orders delivered to (the express address's county) or picked up in (the store's county)
its region. Every level whose region contains the order's county earns: a county order
pays its county, city and province agents.

Earnings are commissions of kind AGENT (services.distribution.commissions: booked in the payment's
transaction, reversed pro rata on refunds, released after completion + the freeze,
rejectable by risk review), funded like distribution commissions. The cap and the order in
which claims are served are the engine's (services.distribution.commissions, "other kinds").

Region codes: six digits; a province ends in 0000, a city in 00 (but not 0000), a county
in neither. A code of the wrong shape for the level asked is NOT_FOUND (there is no
region table; the shape names the level). At most one running agent per region: the
unique `active_region` column (NULL once ended) decides a race, the loser gets
AGENT_REGION_TAKEN. Assignments are never deleted: ended ones keep who ended them.

Also here: the partner settings (agent rates, the store share, the pickup reward) that an
admin edits, audited in PartnerSettingsChange.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from tortoise.exceptions import IntegrityError

import settings
from models.accounts import User
from models.agents import AgentAssignment, PartnerSettings, PartnerSettingsChange
from models.merchants import Store
from models.orders import Order
from services.accounts.access import Grants
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.core.money import fen_to_decimal_string
from services.core.regions import REGION_CODE
from services.core.sql import sql
from services.distribution.commissions import KIND_AGENT, Claim

PROVINCE, CITY, COUNTY = 1, 2, 3
LEVELS = (PROVINCE, CITY, COUNTY)
SETTINGS_ID = 1
MAX_AGENT_RATE_BP = 1000  # 10 %: far above the 1-3 % of the spec, far below the base
STORE_SHARE_RANGE_BP = (300, 2000)  # 3-20 % (MEM-3)
MAX_PICKUP_REWARD = 100_000  # fen


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Terms:
    province_rate_bp: int
    city_rate_bp: int
    county_rate_bp: int
    store_share_bp: int
    pickup_reward: int  # fen

    def rate(self, level: int) -> int:
        return {PROVINCE: self.province_rate_bp, CITY: self.city_rate_bp, COUNTY: self.county_rate_bp}[level]


@dataclass(frozen=True)
class TermsView:
    terms: Terms
    updated_at: object = None  # None while the defaults are in force


def default_terms() -> Terms:
    return Terms(
        settings.AGENT_RATE_PROVINCE_BP,
        settings.AGENT_RATE_CITY_BP,
        settings.AGENT_RATE_COUNTY_BP,
        settings.STORE_SHARE_BP,
        settings.STORE_PICKUP_REWARD,
    )


async def current_terms_view(conn=None) -> TermsView:
    query = PartnerSettings.filter(id=SETTINGS_ID)
    row = await (query.using_db(conn) if conn else query).first()
    if row is None:
        return TermsView(default_terms())
    return TermsView(
        Terms(row.province_rate_bp, row.city_rate_bp, row.county_rate_bp, row.store_share_bp, row.pickup_reward),
        row.updated_at,
    )


async def current_terms(conn=None) -> Terms:
    return (await current_terms_view(conn)).terms


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_terms(terms: Terms) -> None:
    for field_name, value in (
        ("provinceRateBp", terms.province_rate_bp),
        ("cityRateBp", terms.city_rate_bp),
        ("countyRateBp", terms.county_rate_bp),
    ):
        if not _int(value) or not 0 <= value <= MAX_AGENT_RATE_BP:
            raise DomainError(
                ErrorCode.INVALID_RATE, f"An agent rate is 0 to {MAX_AGENT_RATE_BP} basis points.", field_name
            )
    low, high = STORE_SHARE_RANGE_BP
    if not _int(terms.store_share_bp) or not low <= terms.store_share_bp <= high:
        raise DomainError(
            ErrorCode.INVALID_RATE, f"The store share is {low} to {high} basis points (3-20 %).", "storeShareBp"
        )
    if not _int(terms.pickup_reward) or not 0 <= terms.pickup_reward <= MAX_PICKUP_REWARD:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT,
            f"The pickup reward is 0 to {fen_to_decimal_string(MAX_PICKUP_REWARD)} yuan.",
            "pickupReward",
        )


def _require(grants: Grants, permission: str = "agent.manage") -> None:
    if not grants.has(permission):
        raise DomainError(ErrorCode.FORBIDDEN, f"This needs the {permission} permission.")


async def update_terms(grants: Grants, actor_id: int, terms: Terms) -> TermsView:
    """An admin replaces the agent rates and franchise terms (validated as a whole: a
    refusal changes nothing; audited). Commissions already booked keep their amounts."""
    _require(grants)
    validate_terms(terms)
    values = asdict(terms)
    async with unit_of_work() as conn:
        if not await PartnerSettings.filter(id=SETTINGS_ID).using_db(conn).exists():
            try:
                async with unit_of_work() as inner:  # a savepoint: a concurrent first save may win
                    await PartnerSettings.create(id=SETTINGS_ID, **asdict(default_terms()), using_db=inner)
            except IntegrityError:
                pass
        if conn.capabilities.dialect == "postgres":
            await conn.execute_query(
                sql(conn, "SELECT id FROM partner_settings WHERE id = ? FOR UPDATE"), [SETTINGS_ID]
            )
        before = asdict(await current_terms(conn))
        await (
            PartnerSettings.filter(id=SETTINGS_ID)
            .using_db(conn)
            .update(updated_by_id=actor_id, updated_at=clock.now(), **values)
        )
        await PartnerSettingsChange.create(actor_id=actor_id, before=before, after=values, using_db=conn)
    return await current_terms_view()


# --------------------------------------------------------------------------- regions


def region_level(code: str) -> int | None:
    """1 province, 2 city, 3 county, or None when `code` is not a region code."""
    if not isinstance(code, str) or not REGION_CODE.fullmatch(code) or code[:2] == "00":
        return None
    if code[2:] == "0000":
        return PROVINCE
    if code[4:] == "00":
        return CITY
    return COUNTY


def regions_of(province_code: str, city_code: str, county_code: str) -> list[tuple[int, str]]:
    """The (level, code) regions containing an order's county; nothing if the codes are unusable."""
    codes = [(PROVINCE, province_code), (CITY, city_code), (COUNTY, county_code)]
    if any(region_level(code) != level for level, code in codes):
        return []
    if not (province_code[:2] == city_code[:2] == county_code[:2]) or city_code[:4] != county_code[:4]:
        return []
    return codes


# --------------------------------------------------------------------------- assignments


async def assign(grants: Grants, actor_id: int, user_id: int, level: int, region_code: str) -> AgentAssignment:
    """Appoint `user_id` agent of the region (agent.manage)."""
    _require(grants)
    region_code = (region_code or "").strip()
    if level not in LEVELS:
        raise DomainError(ErrorCode.INVALID_INPUT, "The level is PROVINCE, CITY or COUNTY.", "level")
    if region_level(region_code) != level:
        raise DomainError(ErrorCode.NOT_FOUND, "No region of that level has this code.", "regionCode")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such user.", "userId")
    if not user.is_active:
        raise DomainError(ErrorCode.ACCOUNT_DISABLED, "A disabled account cannot be appointed.", "userId")
    if await AgentAssignment.exists(active_region=region_code):
        raise DomainError(
            ErrorCode.AGENT_REGION_TAKEN, "This region already has an agent; end that assignment first.", "regionCode"
        )
    try:
        async with unit_of_work():
            return await AgentAssignment.create(
                user_id=user_id,
                level=level,
                region_code=region_code,
                active_region=region_code,
                assigned_by_id=actor_id,
            )
    except IntegrityError:  # a concurrent appointment took the region first
        raise DomainError(
            ErrorCode.AGENT_REGION_TAKEN, "This region already has an agent; end that assignment first.", "regionCode"
        ) from None


async def end(grants: Grants, actor_id: int, assignment_id: int) -> AgentAssignment:
    """End a running assignment (agent.manage): orders paid from now on pay no one there;
    commissions already booked stay."""
    _require(grants)
    row = await AgentAssignment.get_or_none(id=assignment_id)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such agent assignment.", "id")
    async with unit_of_work() as conn:
        moved = (
            await AgentAssignment.filter(id=assignment_id, ended_at__isnull=True)
            .using_db(conn)
            .update(ended_at=clock.now(), ended_by_id=actor_id, active_region=None)
        )
    if moved != 1:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "This assignment has already ended.", "id")
    return await AgentAssignment.get(id=assignment_id)


def assignments(*, active_only: bool = True, region_code: str | None = None, user_id: int | None = None):
    query = AgentAssignment.all()
    if active_only:
        query = query.filter(ended_at__isnull=True)
    if region_code:
        query = query.filter(region_code=region_code.strip())
    if user_id is not None:
        query = query.filter(user_id=user_id)
    return query


# --------------------------------------------------------------------------- claims at payment


async def order_regions(order: Order, conn) -> list[tuple[int, str]]:
    """Where the order goes: the store's county for a pickup, the address's for express."""
    if order.store_id is not None:
        rows = (
            await Store.filter(id=order.store_id)
            .using_db(conn)
            .values_list("province_code", "city_code", "county_code")
        )
        return regions_of(*rows[0]) if rows else []
    address = order.address or {}
    return regions_of(address.get("province_code", ""), address.get("city_code", ""), address.get("county_code", ""))


async def agent_claims(order: Order, lines: list, conn) -> list[Claim]:
    """Claim provider (services.distribution.commissions.PAID_CLAIMS): each running agent of a region
    containing the order's county asks its level's rate of each line's paid goods amount."""
    regions = await order_regions(order, conn)
    if not regions:
        return []
    codes = [code for _, code in regions]
    # Every payment asks: one plain statement (Tortoise would build its join anew each time).
    rows = await conn.execute_query_dict(
        sql(
            conn,
            "SELECT a.user_id, a.level, a.region_code FROM agent_assignment a JOIN account_user u ON u.id = a.user_id "
            f"WHERE a.active_region IN ({', '.join('?' for _ in codes)}) AND u.is_active",
        ),
        codes,
    )
    if not rows:
        return []
    terms = await current_terms(conn)
    claims = []
    for row in rows:
        rate = terms.rate(row["level"])
        asks = {ln.id: (ln.amount - ln.refunded_amount) * rate // 10_000 for ln in lines}
        claims.append(Claim(KIND_AGENT, row["level"], row["user_id"], asks, region_code=row["region_code"]))
    return claims
