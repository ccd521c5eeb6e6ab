"""Users, addresses and sign-in results."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from models import accounts as m
from schema.degrees import Degrees
from schema.errors import ApiError, UserError
from schema.node import Node, node_id
from services.accounts import access
from services.core.errors import ErrorCode
from services.core.masking import mask_name
from services.core.phones import mask_phone
from services.core.sensitive import mask_id_number


@strawberry.type(description="A shipping address of the signed-in user.")
class Address(Node):
    pk: strawberry.Private[int]
    id: strawberry.ID = node_id("Address", "pk", description="Address id.")
    recipient: str = strawberry.field(description="Who receives the parcel.")
    phone: str = strawberry.field(
        description="Recipient's phone: E.164 to the owner, masked (138****8000) to support staff."
    )
    province_code: str = strawberry.field(description="Six-digit province code (GB/T 2260).")
    city_code: str = strawberry.field(description="Six-digit city code.")
    county_code: str = strawberry.field(description="Six-digit county/district code.")
    region_name: str = strawberry.field(description="Province, city and county as text, e.g. 浙江省 杭州市 西湖区.")
    detail: str = strawberry.field(description="Street and house number.")
    postal_code: str = strawberry.field(description="Postal code, may be empty.")
    is_default: bool = strawberry.field(description="The address checkout proposes first. Exactly one is default.")
    latitude: Degrees | None = strawberry.field(default=None, description="Latitude, WGS-84 degrees (store delivery).")
    longitude: Degrees | None = strawberry.field(default=None, description="Longitude, WGS-84 degrees.")

    @classmethod
    def from_model(cls, a: m.Address, *, owner: bool = True) -> Address:
        """`owner=False` (support staff reading someone's addresses) masks the phone."""
        return cls(
            pk=a.id,
            recipient=a.recipient,
            phone=a.phone if owner else mask_phone(a.phone),
            province_code=a.province_code,
            city_code=a.city_code,
            county_code=a.county_code,
            region_name=a.region_name,
            detail=a.detail,
            postal_code=a.postal_code,
            is_default=a.is_default,
            latitude=a.latitude,
            longitude=a.longitude,
        )


@strawberry.type(description="What anyone may see of another user, e.g. a referrer.")
class PublicUser(Node):
    pk: strawberry.Private[int]
    id: strawberry.ID = node_id("User", "pk", description="User id (the same as the full view's).")
    nickname: str = strawberry.field(description="Display name.")
    avatar_url: str = strawberry.field(description="Avatar image URL, may be empty.")

    @classmethod
    def from_model(cls, u: m.User) -> PublicUser:
        return cls(pk=u.id, nickname=u.nickname, avatar_url=u.avatar_url)


def _can_see_private(info: Info, user_id: int) -> bool:
    viewer = info.context.viewer
    return viewer is not None and viewer.id == user_id


@strawberry.type(description="A user's real-name verification (实名认证), needed before withdrawals.")
class Identity:
    """Resolved from `models.accounts.UserIdentity` rows."""

    created_at: datetime = strawberry.field(description="When the identity was submitted.")

    @strawberry.field(description="Legal name: in full to its owner, masked (张*) to others.")
    def real_name(self: m.UserIdentity, info: Info) -> str:
        return self.real_name if _can_see_private(info, self.user_id) else mask_name(self.real_name)

    @strawberry.field(description="Resident ID number, always masked (110101********1234), to the owner too.")
    def id_number(self: m.UserIdentity) -> str:
        return mask_id_number(self.id_number)


@strawberry.type(description="Outcome of submitIdentity.")
class IdentityPayload:
    identity: Identity | None = strawberry.field(default=None, description="The stored identity.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="A user account: the signed-in user (`me`), or any user for administrators.")
class User(Node):
    """Resolved straight from `models.accounts.User` rows: plain fields are read by
    attribute (no per-field resolver call), and `self` in the resolvers below is the row."""

    id: strawberry.ID = node_id("User", description="User id.")
    nickname: str = strawberry.field(description="Display name.")
    avatar_url: str = strawberry.field(description="Avatar image URL, may be empty.")
    invite_code: str = strawberry.field(
        description="This user's invite code, for links and QR codes that bind new users under them."
    )
    upline_bound_at: datetime | None = strawberry.field(description="When the referrer was bound.")
    is_active: bool = strawberry.field(description="Whether the account may sign in.")
    created_at: datetime = strawberry.field(description="When the account was created.")

    @strawberry.field(description="Phone number: in full (E.164) to its owner, masked (138****8000) to others.")
    def phone(self: m.User, info: Info) -> str | None:
        if self.phone is None:
            return None
        return self.phone if _can_see_private(info, self.id) else mask_phone(self.phone)

    @strawberry.field(description="Whether the account signed in through WeChat at least once.")
    def has_wechat(self: m.User) -> bool:
        return self.wechat_openid is not None

    @strawberry.field(description="The referrer (upline) this user is bound to, if any.")
    async def upline(self: m.User, info: Info) -> PublicUser | None:
        if self.upline_id is None:
            return None
        upline = await info.context.loaders.user.load(self.upline_id)
        return PublicUser.from_model(upline) if upline else None

    @strawberry.field(description="Codes of the roles granted to this user (every user is also a customer).")
    async def roles(self: m.User, info: Info) -> list[str]:
        return sorted((await _grants_of(info, self.id)).roles | {"customer"})

    @strawberry.field(description="Platform permissions this user holds.")
    async def permissions(self: m.User, info: Info) -> list[str]:
        return sorted((await _grants_of(info, self.id)).platform)

    @strawberry.field(
        description="Real-name verification, null until submitted. Visible to the owner and to support staff (user.read), masked."
    )
    async def identity(self: m.User, info: Info) -> Identity | None:
        if not _can_see_private(info, self.id) and not (await info.context.grants()).has("user.read"):
            raise ApiError(ErrorCode.FORBIDDEN, "Only the owner sees this identity.")
        return await info.context.loaders.identity_by_user.load(self.id)

    @strawberry.field(description="Shipping addresses, default first. Visible to the owner and to support staff.")
    async def addresses(self: m.User, info: Info) -> list[Address]:
        if not _can_see_private(info, self.id) and not (await info.context.grants()).has("user.read"):
            raise ApiError(ErrorCode.FORBIDDEN, "Only the owner sees these addresses.")
        rows = await info.context.loaders.addresses_by_user.load(self.id)
        owner = _can_see_private(info, self.id)
        return [Address.from_model(a, owner=owner) for a in rows]


async def _grants_of(info: Info, user_id: int) -> access.Grants:
    if _can_see_private(info, user_id):
        return await info.context.grants()
    return await access.load_grants(user_id)


@strawberry.type(description="Result of a successful sign-in or token refresh.")
class AuthTokens:
    access_token: str = strawberry.field(
        description="Send as `Authorization: Bearer <token>` (HTTP) or `authorization` connection param (WebSocket)."
    )
    access_token_expires_at: datetime = strawberry.field(description="Refresh before this time.")
    refresh_token: str = strawberry.field(
        description="Single use: each refresh returns a new one. Reusing an old one signs the session out."
    )
    refresh_token_expires_at: datetime = strawberry.field(description="After this the user signs in again.")


@strawberry.type(description="Outcome of signInWithSms, signInWithWechat and refreshToken.")
class AuthPayload:
    user: User | None = strawberry.field(default=None, description="The signed-in user.")
    tokens: AuthTokens | None = strawberry.field(default=None, description="New tokens.")
    is_new_user: bool = strawberry.field(default=False, description="True when this sign-in created the account.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of requestSmsCode.")
class RequestSmsCodePayload:
    phone: str | None = strawberry.field(default=None, description="The number the code went to, normalised (E.164).")
    expires_in_seconds: int | None = strawberry.field(default=None, description="How long the code stays valid.")
    retry_after_seconds: int | None = strawberry.field(default=None, description="Wait this long before asking again.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of a mutation that changes the user.")
class UserPayload:
    user: User | None = strawberry.field(default=None, description="The user after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of an address mutation.")
class AddressPayload:
    address: Address | None = strawberry.field(
        default=None, description="The address after the change (null after delete)."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of a mutation that returns nothing but success.")
class OkPayload:
    ok: bool = strawberry.field(default=False, description="True when it took effect.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.input(description="A shipping address.")
class AddressInput:
    recipient: str = strawberry.field(description="Who receives the parcel (1-64 characters).")
    phone: str = strawberry.field(description="Recipient's phone number.")
    province_code: str = strawberry.field(description="Six-digit province code.")
    city_code: str = strawberry.field(description="Six-digit city code, within the province.")
    county_code: str = strawberry.field(description="Six-digit county code, within the city.")
    region_name: str = strawberry.field(default="", description="Province, city and county as text.")
    detail: str = strawberry.field(description="Street and house number (1-256 characters).")
    postal_code: str = strawberry.field(default="", description="Postal code.")
    is_default: bool = strawberry.field(default=False, description="Make this the default address.")
    latitude: Degrees | None = strawberry.field(
        default=None, description="Latitude, WGS-84 degrees; with longitude, for store delivery (STO-5). Optional."
    )
    longitude: Degrees | None = strawberry.field(default=None, description="Longitude, WGS-84 degrees. Optional.")
