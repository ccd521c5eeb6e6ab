"""Profile and shipping addresses (ACC-2). Every function acts for one user on their own data."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from models.accounts import Address, User
from services.core import geo, sensitive
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.core.phones import normalize_phone
from services.core.regions import validate_region_codes

MAX_ADDRESSES = 30


async def update_profile(user: User, nickname: str | None, avatar_url: str | None) -> User:
    changes = {}
    if nickname is not None:
        nickname = nickname.strip()
        if not 1 <= len(nickname) <= 32:
            raise DomainError(ErrorCode.INVALID_INPUT, "A nickname has 1 to 32 characters.", "nickname")
        changes["nickname"] = nickname
    if avatar_url is not None:
        parsed = urlparse(avatar_url)
        if avatar_url and (parsed.scheme not in ("http", "https") or not parsed.netloc or len(avatar_url) > 512):
            raise DomainError(ErrorCode.INVALID_INPUT, "The avatar must be an http(s) URL.", "avatarUrl")
        changes["avatar_url"] = avatar_url
    if changes:
        await User.filter(id=user.id).update(**changes)
    return await User.get(id=user.id)


@dataclass
class AddressData:
    recipient: str
    phone: str
    province_code: str
    city_code: str
    county_code: str
    region_name: str
    detail: str
    postal_code: str = ""
    is_default: bool = False
    latitude: float | None = None  # both or neither (store delivery, STO-5)
    longitude: float | None = None


def _clean(data: AddressData) -> dict:
    recipient = data.recipient.strip()
    if not 1 <= len(recipient) <= 64:
        raise DomainError(ErrorCode.INVALID_INPUT, "The recipient has 1 to 64 characters.", "recipient")
    detail = data.detail.strip()
    if not 1 <= len(detail) <= 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "The street address has 1 to 256 characters.", "detail")
    validate_region_codes(data.province_code, data.city_code, data.county_code)
    if len(data.postal_code) > 12 or len(data.region_name) > 128:
        raise DomainError(ErrorCode.INVALID_INPUT, "Postal code or region name is too long.", "postalCode")
    if (data.latitude is None) != (data.longitude is None):
        raise DomainError(ErrorCode.INVALID_COORDINATES, "Give both latitude and longitude, or neither.", "latitude")
    if data.latitude is not None and not geo.valid_coordinates(data.latitude, data.longitude):
        raise DomainError(
            ErrorCode.INVALID_COORDINATES, "Latitude is -90 to 90 and longitude -180 to 180 degrees.", "latitude"
        )
    return {
        "latitude": data.latitude,
        "longitude": data.longitude,
        "recipient": recipient,
        **sensitive.seal("phone", normalize_phone(data.phone)),  # encrypted at rest
        "province_code": data.province_code,
        "city_code": data.city_code,
        "county_code": data.county_code,
        "region_name": data.region_name.strip(),
        "detail": detail,
        "postal_code": data.postal_code.strip(),
    }


async def _own(user: User, address_id: int) -> Address:
    address = await Address.get_or_none(id=address_id, user_id=user.id)
    if address is None:  # someone else's address looks exactly like a missing one
        raise DomainError(ErrorCode.NOT_FOUND, "No such address.", "id")
    return address


async def list_addresses(user: User) -> list[Address]:
    return await Address.filter(user_id=user.id).order_by("-is_default", "-id")


async def create_address(user: User, data: AddressData) -> Address:
    fields = _clean(data)
    async with unit_of_work():
        count = await Address.filter(user_id=user.id).count()
        if count >= MAX_ADDRESSES:
            raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_ADDRESSES} addresses.", "id")
        make_default = data.is_default or count == 0
        if make_default:
            await Address.filter(user_id=user.id, is_default=True).update(is_default=False)
        return await Address.create(user_id=user.id, is_default=make_default, **fields)


async def update_address(user: User, address_id: int, data: AddressData) -> Address:
    fields = _clean(data)
    async with unit_of_work():
        address = await _own(user, address_id)
        if data.is_default and not address.is_default:
            await Address.filter(user_id=user.id, is_default=True).update(is_default=False)
            fields["is_default"] = True
        await Address.filter(id=address.id).update(**fields)
    return await Address.get(id=address_id)


async def set_default_address(user: User, address_id: int) -> Address:
    async with unit_of_work():
        address = await _own(user, address_id)
        await Address.filter(user_id=user.id, is_default=True).update(is_default=False)
        await Address.filter(id=address.id).update(is_default=True)
    return await Address.get(id=address_id)


async def delete_address(user: User, address_id: int) -> None:
    async with unit_of_work():
        address = await _own(user, address_id)
        await address.delete()
        if address.is_default:  # keep exactly one default while any address is left
            newest = await Address.filter(user_id=user.id).order_by("-id").first()
            if newest is not None:
                await Address.filter(id=newest.id).update(is_default=True)
