"""Offline stores (门店, MER-2): a merchant's stores with address, coordinates, opening
hours and service items; store staff; the nearest-stores search.

Managing stores needs merchant.settings for the store's merchant, store staff needs
merchant.staff (the owner). `nearest_stores` is public: active stores of active merchants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from models.accounts import User
from models.merchants import Store, StoreStaff
from services.accounts import referral
from services.accounts.access import STORE_PERMISSIONS, STORE_STAFF_PERMISSIONS, Grants, require_merchant
from services.core import geo, sensitive
from services.core.errors import DomainError, ErrorCode
from services.core.events import public_data_changed, unit_of_work
from services.core.pagination import check_page_size
from services.core.phones import normalize_phone
from services.core.regions import validate_region_codes
from services.merchants.merchants import ACTIVE, find_user, get_merchant

MAX_RADIUS_M = 50_000
MAX_OPENING_HOURS = 28  # up to four intervals a day
MAX_SERVICE_ITEMS = 20
MAX_SERVICE_ITEM_LENGTH = 32
HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


@dataclass
class OpeningHours:
    weekday: int  # 1 = Monday ... 7 = Sunday (ISO 8601)
    opens: str  # "HH:MM"
    closes: str  # "HH:MM", later than opens; "24:00" for midnight


@dataclass
class StoreData:
    name: str
    province_code: str
    city_code: str
    county_code: str
    address: str
    latitude: float
    longitude: float
    phone: str = ""
    region_name: str = ""
    opening_hours: list[OpeningHours] = field(default_factory=list)
    service_items: list[str] = field(default_factory=list)


def check_coordinates(latitude: float, longitude: float) -> None:
    if not geo.valid_coordinates(latitude, longitude):
        raise DomainError(
            ErrorCode.INVALID_COORDINATES,
            "Latitude is -90 to 90 and longitude -180 to 180 degrees (finite numbers).",
            "latitude" if not geo.valid_coordinates(latitude, 0.0) else "longitude",
        )


def _minutes(value: str, closing: bool) -> int | None:
    if closing and value == "24:00":
        return 24 * 60
    if not isinstance(value, str) or not HHMM.fullmatch(value):
        return None
    return int(value[:2]) * 60 + int(value[3:])


def clean_opening_hours(hours: list[OpeningHours]) -> list[dict]:
    """Validated, sorted by weekday and time; intervals of a day must not overlap."""
    if len(hours) > MAX_OPENING_HOURS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_OPENING_HOURS} opening intervals.", "openingHours")
    spans = []
    for h in hours:
        if isinstance(h.weekday, bool) or not isinstance(h.weekday, int) or not 1 <= h.weekday <= 7:
            raise DomainError(ErrorCode.INVALID_INPUT, "A weekday is 1 (Monday) to 7 (Sunday).", "openingHours")
        start, end = _minutes(h.opens, False), _minutes(h.closes, True)
        if start is None or end is None:
            raise DomainError(
                ErrorCode.INVALID_INPUT, 'Times are "HH:MM" (00:00 to 23:59; closing may be 24:00).', "openingHours"
            )
        if end <= start:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                "A store closes after it opens (split overnight hours in two days).",
                "openingHours",
            )
        spans.append((h.weekday, start, end, h.opens, h.closes))
    spans.sort()
    for before, after in zip(spans, spans[1:]):
        if before[0] == after[0] and after[1] < before[2]:
            raise DomainError(ErrorCode.INVALID_INPUT, "Opening intervals of one day overlap.", "openingHours")
    return [{"weekday": d, "opens": o, "closes": c} for d, _, _, o, c in spans]


def clean_service_items(items: list[str]) -> list[str]:
    cleaned: list[str] = []
    for item in items:
        item = (item or "").strip()
        if not 1 <= len(item) <= MAX_SERVICE_ITEM_LENGTH:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                f"A service item has 1 to {MAX_SERVICE_ITEM_LENGTH} characters.",
                "serviceItems",
            )
        if item not in cleaned:
            cleaned.append(item)
    if len(cleaned) > MAX_SERVICE_ITEMS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_SERVICE_ITEMS} service items.", "serviceItems")
    return cleaned


def _clean(data: StoreData) -> dict:
    name = (data.name or "").strip()
    if not 1 <= len(name) <= 64:
        raise DomainError(ErrorCode.INVALID_INPUT, "A store name has 1 to 64 characters.", "name")
    address = (data.address or "").strip()
    if not 1 <= len(address) <= 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "The street address has 1 to 256 characters.", "address")
    validate_region_codes(data.province_code, data.city_code, data.county_code)
    region_name = (data.region_name or "").strip()
    if len(region_name) > 128:
        raise DomainError(ErrorCode.INVALID_INPUT, "The region name has at most 128 characters.", "regionName")
    check_coordinates(data.latitude, data.longitude)
    phone = (data.phone or "").strip()
    return {
        "name": name,
        **sensitive.seal("phone", normalize_phone(phone) if phone else None),  # encrypted at rest
        "province_code": data.province_code,
        "city_code": data.city_code,
        "county_code": data.county_code,
        "region_name": region_name,
        "address": address,
        "latitude": float(data.latitude),
        "longitude": float(data.longitude),
        "opening_hours": clean_opening_hours(data.opening_hours),
        "service_items": clean_service_items(data.service_items),
    }


async def _new_invite_code() -> str:
    """A code unused by any store or user: store and user codes share one namespace, so a
    scanned code names exactly one of them."""
    for _ in range(10):
        code = referral.new_invite_code()
        if not await Store.exists(invite_code=code) and not await User.exists(invite_code=code):
            return code
    raise RuntimeError("could not allocate an invite code")


async def _store(store_id: int) -> Store:
    store = await Store.get_or_none(id=store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such store.", "id")
    return store


async def create_store(grants: Grants, merchant_id: int, data: StoreData) -> Store:
    require_merchant(grants, merchant_id, "merchant.settings")
    fields = _clean(data)
    merchant = await get_merchant(merchant_id)
    if merchant.status != ACTIVE:
        raise DomainError(ErrorCode.MERCHANT_NOT_ACTIVE, "Only an active merchant opens stores.", "merchantId")
    for _ in range(5):
        try:
            async with unit_of_work():
                store = await Store.create(merchant_id=merchant_id, invite_code=await _new_invite_code(), **fields)
                public_data_changed()  # nearestStores
            return store
        except IntegrityError:  # the rare race on a fresh invite code: draw again
            continue
    raise RuntimeError("could not allocate an invite code")


async def update_store(grants: Grants, store_id: int, data: StoreData) -> Store:
    store = await _store(store_id)
    require_merchant(grants, store.merchant_id, "merchant.settings")
    fields = _clean(data)
    async with unit_of_work():
        await Store.filter(id=store_id).update(**fields)
        public_data_changed()
    return await Store.get(id=store_id)


async def set_store_active(grants: Grants, store_id: int, active: bool) -> Store:
    store = await _store(store_id)
    require_merchant(grants, store.merchant_id, "merchant.settings")
    if active:
        merchant = await get_merchant(store.merchant_id)
        if merchant.status != ACTIVE:
            raise DomainError(ErrorCode.MERCHANT_NOT_ACTIVE, "Only an active merchant opens stores.", "id")
    async with unit_of_work():
        await Store.filter(id=store_id).update(is_active=active)
        public_data_changed()
    return await Store.get(id=store_id)


async def stores_of(merchant_id: int) -> list[Store]:
    return await Store.filter(merchant_id=merchant_id).order_by("id")


# --------------------------------------------------------------------------- store staff


async def add_store_staff(
    grants: Grants, store_id: int, *, user_id: int | None = None, phone: str | None = None
) -> StoreStaff:
    """The merchant's owner (merchant.staff) adds someone who verifies pickups at a store."""
    store = await _store(store_id)
    require_merchant(grants, store.merchant_id, "merchant.staff")
    user = await find_user(user_id, phone)
    if await StoreStaff.exists(store_id=store_id, user_id=user.id):
        raise DomainError(ErrorCode.INVALID_INPUT, "Already on this store's staff.", "userId")
    try:
        async with unit_of_work():
            return await StoreStaff.create(store_id=store_id, user_id=user.id)
    except IntegrityError:
        raise DomainError(ErrorCode.INVALID_INPUT, "Already on this store's staff.", "userId") from None


async def remove_store_staff(grants: Grants, store_id: int, user_id: int) -> None:
    store = await _store(store_id)
    require_merchant(grants, store.merchant_id, "merchant.staff")
    async with unit_of_work():
        if not await StoreStaff.filter(store_id=store_id, user_id=user_id).delete():
            raise DomainError(ErrorCode.NOT_FOUND, "This user is not on this store's staff.", "userId")


async def set_store_staff_permissions(
    grants: Grants, store_id: int, user_id: int, permissions: list[str]
) -> StoreStaff:
    """The merchant's owner (merchant.staff) grants a store staff member extra store
    permissions (e.g. store.refund) beyond those every store staff member holds."""
    store = await _store(store_id)
    require_merchant(grants, store.merchant_id, "merchant.staff")
    extra = sorted(set(permissions) - set(STORE_STAFF_PERMISSIONS))
    unknown = [p for p in extra if p not in STORE_PERMISSIONS]
    if unknown:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Not a store permission: {', '.join(unknown)}.", "permissions")
    async with unit_of_work():
        if not await StoreStaff.filter(store_id=store_id, user_id=user_id).update(permissions=extra):
            raise DomainError(ErrorCode.NOT_FOUND, "This user is not on this store's staff.", "userId")
    return await StoreStaff.get(store_id=store_id, user_id=user_id)


async def staff_of_store(store_id: int) -> list[StoreStaff]:
    return await StoreStaff.filter(store_id=store_id).order_by("id")


# --------------------------------------------------------------------------- nearest stores


def prefilter(latitude: float, longitude: float, radius_m: float):
    """Active stores of active merchants inside the bounding box of the search circle:
    a range on the indexed (latitude, longitude) columns, never a scan of every store."""
    box = geo.bounding_box(latitude, longitude, radius_m)
    query = Store.filter(
        is_active=True,
        latitude__gte=box.min_lat,
        latitude__lte=box.max_lat,
        merchant__status=ACTIVE,
    )
    if not box.full_longitude:
        ranges = [Q(longitude__gte=low, longitude__lte=high) for low, high in box.lng_ranges]
        query = query.filter(Q(*ranges, join_type="OR"))
    return query


async def nearest_stores(
    latitude: float, longitude: float, radius_m: int, first: int = 20
) -> list[tuple[Store, float]]:
    """Stores within `radius_m` metres, nearest first, each with its distance in metres."""
    check_coordinates(latitude, longitude)
    if isinstance(radius_m, bool) or not isinstance(radius_m, int) or not 1 <= radius_m <= MAX_RADIUS_M:
        raise DomainError(ErrorCode.INVALID_INPUT, f"The radius is 1 to {MAX_RADIUS_M} metres.", "radiusMeters")
    check_page_size(first)
    if first == 0:
        return []
    candidates = await prefilter(latitude, longitude, radius_m)
    found = geo.within_radius(candidates, latitude, longitude, radius_m, key=lambda s: (s.latitude, s.longitude))
    return found[:first]
