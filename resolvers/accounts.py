"""Sign-in, tokens, profile, addresses and referral binding for the signed-in user."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import login_required, parse_id, payload_errors, viewer
from schema.errors import api_error
from schema.types.accounts import (
    Address,
    AddressInput,
    AddressPayload,
    AuthPayload,
    AuthTokens,
    OkPayload,
    RequestSmsCodePayload,
    User,
    UserPayload,
)
from services.accounts import auth, profile, referral


def _signed_in(info: Info, result: auth.SignedIn) -> AuthPayload:
    # The rest of this response is read as the user who just signed in.
    info.context.sign_in_as(result.user, result.session_id)
    return AuthPayload(
        user=result.user,
        is_new_user=result.is_new_user,
        tokens=AuthTokens(
            access_token=result.access_token,
            access_token_expires_at=result.access_token_expires_at,
            refresh_token=result.refresh_token,
            refresh_token_expires_at=result.refresh_token_expires_at,
        ),
    )


def _address_data(data: AddressInput) -> profile.AddressData:
    return profile.AddressData(
        recipient=data.recipient,
        phone=data.phone,
        province_code=data.province_code,
        city_code=data.city_code,
        county_code=data.county_code,
        region_name=data.region_name,
        detail=data.detail,
        postal_code=data.postal_code,
        is_default=data.is_default,
        latitude=data.latitude,
        longitude=data.longitude,
    )


@strawberry.type
class AccountQueries:
    @strawberry.field(
        description="The signed-in user; null without a token. A bad token is an error (TOKEN_EXPIRED: refresh)."
    )
    def me(self, info: Info) -> User | None:
        if info.context.auth_error is not None:
            raise api_error(info.context.auth_error)
        return info.context.viewer


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Send a one-time sign-in code by SMS. Rate-limited per phone and per network.")
    @payload_errors
    async def request_sms_code(
        self,
        info: Info,
        phone: Annotated[
            str, strawberry.argument(description="Mainland China mobile number (11 digits) to text the code to.")
        ],
    ) -> RequestSmsCodePayload:
        sent = await auth.request_sms_code(phone, info.context.client)
        return RequestSmsCodePayload(
            phone=sent.phone, expires_in_seconds=sent.expires_in_seconds, retry_after_seconds=sent.retry_after_seconds
        )

    @strawberry.mutation(
        description="Sign in (or sign up) with a phone number and its SMS code. `inviteCode` binds a new user under its owner."
    )
    @payload_errors
    async def sign_in_with_sms(
        self,
        info: Info,
        phone: Annotated[str, strawberry.argument(description="The mobile number the code was sent to.")],
        code: Annotated[str, strawberry.argument(description="The SMS code received.")],
        invite_code: Annotated[
            str | None,
            strawberry.argument(
                description="Invite code of the upline to bind a new user under (ignored for existing users); "
                "one carrying a shared material (CODE-M12, from a material's share link) records it."
            ),
        ] = None,
    ) -> AuthPayload:
        return _signed_in(info, await auth.sign_in_with_sms(phone, code, invite_code, info.context.client))

    @strawberry.mutation(
        description="Bind (or change) the signed-in user's phone number, proven by an SMS code sent to it. "
        "PHONE_TAKEN when another account has it.",
        extensions=login_required(),
    )
    @payload_errors
    async def bind_phone(
        self,
        info: Info,
        phone: Annotated[str, strawberry.argument(description="The mobile number to bind.")],
        code: Annotated[str, strawberry.argument(description="The SMS code sent to that number.")],
    ) -> UserPayload:
        return UserPayload(user=await auth.bind_phone(viewer(info), phone, code))

    @strawberry.mutation(description="Sign in (or sign up) with a WeChat mini-program `wx.login` code.")
    @payload_errors
    async def sign_in_with_wechat(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="The mini-program's wx.login code.")],
        invite_code: Annotated[
            str | None,
            strawberry.argument(
                description="Invite code of the upline to bind a new user under (ignored for existing users); "
                "one carrying a shared material (CODE-M12, from a material's share link) records it."
            ),
        ] = None,
    ) -> AuthPayload:
        return _signed_in(info, await auth.sign_in_with_wechat(code, invite_code, info.context.client))

    @strawberry.mutation(description="Exchange a refresh token for new tokens. The old refresh token stops working.")
    @payload_errors
    async def refresh_token(
        self,
        info: Info,
        refresh_token: Annotated[
            str,
            strawberry.argument(
                description="The refresh token from the last sign-in or refresh (rotated: usable once)."
            ),
        ],
    ) -> AuthPayload:
        return _signed_in(info, await auth.refresh(refresh_token))

    @strawberry.mutation(
        description="Sign out this session: its access and refresh tokens stop working.", extensions=login_required()
    )
    async def sign_out(self, info: Info) -> OkPayload:
        await auth.revoke_session(info.context.session_id)
        return OkPayload(ok=True)

    @strawberry.mutation(description="Sign out every session of the signed-in user.", extensions=login_required())
    async def sign_out_everywhere(self, info: Info) -> OkPayload:
        await auth.revoke_all_sessions(viewer(info).id)
        return OkPayload(ok=True)

    @strawberry.mutation(description="Change nickname and/or avatar.", extensions=login_required())
    @payload_errors
    async def update_profile(
        self,
        info: Info,
        nickname: Annotated[str | None, strawberry.argument(description="New nickname; omitted keeps it.")] = None,
        avatar_url: Annotated[
            str | None, strawberry.argument(description="New avatar URL (http/https); omitted keeps it.")
        ] = None,
    ) -> UserPayload:
        return UserPayload(user=await profile.update_profile(viewer(info), nickname, avatar_url))

    @strawberry.mutation(
        description="Bind the signed-in user under the owner of `inviteCode` (once; no self-binding, no cycles).",
        extensions=login_required(),
    )
    @payload_errors
    async def bind_upline(
        self,
        info: Info,
        invite_code: Annotated[
            str,
            strawberry.argument(description="The upline's invite code (one carrying a shared material records it)."),
        ],
    ) -> UserPayload:
        return UserPayload(user=await referral.bind_upline(viewer(info), invite_code, source="LINK"))

    @strawberry.mutation(
        description="Add a shipping address. The first one becomes the default.", extensions=login_required()
    )
    @payload_errors
    async def create_address(
        self, info: Info, input: Annotated[AddressInput, strawberry.argument(description="The address.")]
    ) -> AddressPayload:
        return AddressPayload(
            address=Address.from_model(await profile.create_address(viewer(info), _address_data(input)))
        )

    @strawberry.mutation(description="Change one of your addresses.", extensions=login_required())
    @payload_errors
    async def update_address(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The address to change.")],
        input: Annotated[AddressInput, strawberry.argument(description="Its new content (replaces every field).")],
    ) -> AddressPayload:
        address = await profile.update_address(viewer(info), parse_id(id, of="Address"), _address_data(input))
        return AddressPayload(address=Address.from_model(address))

    @strawberry.mutation(description="Make one of your addresses the default.", extensions=login_required())
    @payload_errors
    async def set_default_address(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The address to make the default.")],
    ) -> AddressPayload:
        return AddressPayload(
            address=Address.from_model(await profile.set_default_address(viewer(info), parse_id(id, of="Address")))
        )

    @strawberry.mutation(description="Delete one of your addresses.", extensions=login_required())
    @payload_errors
    async def delete_address(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The address to delete.")]
    ) -> AddressPayload:
        await profile.delete_address(viewer(info), parse_id(id, of="Address"))
        return AddressPayload()
