"""Sign-in (SMS code, WeChat), token refresh with rotation, sign-out (ACC-1)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

import settings
from models.accounts import RefreshToken, Session, SmsCode, User
from services.accounts import referral, sms, tokens, wechat
from services.accounts.events import SessionsRevoked
from services.core import clock, sensitive
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, unit_of_work, user_channel
from services.core.phones import normalize_phone
from services.core.sql import columns, instance, sql


@dataclass(frozen=True)
class CodeSent:
    phone: str
    expires_in_seconds: int
    retry_after_seconds: int


@dataclass(frozen=True)
class SignedIn:
    user: User
    session_id: uuid.UUID
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime
    is_new_user: bool


@dataclass(frozen=True)
class ClientInfo:
    ip: str = ""
    user_agent: str = ""


def _code_digest(phone: str, code: str) -> str:
    # Keyed hash: six digits are trivial to brute-force offline without the server key.
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _rate_limited(message: str, retry_after: int) -> DomainError:
    err = DomainError(ErrorCode.RATE_LIMITED, message, "phone")
    err.retry_after = retry_after  # type: ignore[attr-defined]
    return err


async def request_sms_code(raw_phone: str, client: ClientInfo) -> CodeSent:
    phone = normalize_phone(raw_phone)
    phone_hash = sensitive.blind_index(phone)
    now = clock.now()
    last = await SmsCode.filter(phone_hash=phone_hash).order_by("-id").first()
    cooldown = settings.SMS_PHONE_COOLDOWN_SECONDS
    if last is not None and (now - last.created_at).total_seconds() < cooldown:
        wait = cooldown - int((now - last.created_at).total_seconds())
        raise _rate_limited(f"Please wait {wait} s before asking for another code.", wait)
    if (
        await SmsCode.filter(phone_hash=phone_hash, created_at__gte=now - timedelta(days=1)).count()
        >= settings.SMS_PHONE_DAILY_LIMIT
    ):
        raise _rate_limited("Too many codes for this phone today.", 3600)
    if (
        client.ip
        and await SmsCode.filter(ip=client.ip, created_at__gte=now - timedelta(hours=1)).count()
        >= settings.SMS_IP_HOURLY_LIMIT
    ):
        raise _rate_limited("Too many codes requested from this network.", 3600)
    code = f"{secrets.randbelow(10**6):06d}"
    await SmsCode.create(
        phone_hash=phone_hash,
        ip=client.ip,
        code_hash=_code_digest(phone, code),
        expires_at=now + timedelta(seconds=settings.SMS_CODE_TTL_SECONDS),
        created_at=now,
    )
    await sms.get_sender().send_code(phone, code, settings.SMS_CODE_TTL_SECONDS)
    return CodeSent(phone, settings.SMS_CODE_TTL_SECONDS, cooldown)


async def _consume_code(phone: str, code: str) -> None:
    now = clock.now()
    row = await SmsCode.filter(phone_hash=sensitive.blind_index(phone), consumed_at=None).order_by("-id").first()
    if row is None:
        raise DomainError(ErrorCode.CODE_INVALID, "The code is wrong. Ask for a new one.", "code")
    if row.expires_at <= now:
        raise DomainError(ErrorCode.CODE_EXPIRED, "The code has expired. Ask for a new one.", "code")
    if row.attempts >= settings.SMS_CODE_MAX_ATTEMPTS:
        raise DomainError(ErrorCode.CODE_ATTEMPTS_EXCEEDED, "Too many wrong tries. Ask for a new code.", "code")
    if not hmac.compare_digest(row.code_hash, _code_digest(phone, code.strip())):
        # Counted in SQL, not read-modify-write, so parallel guesses all count.
        await SmsCode.filter(id=row.id).update(attempts=F("attempts") + 1)
        raise DomainError(ErrorCode.CODE_INVALID, "The code is wrong.", "code")
    # Single use: only one of two racing sign-ins with the same code wins.
    if not await SmsCode.filter(id=row.id, consumed_at=None).update(consumed_at=now):
        raise DomainError(ErrorCode.CODE_INVALID, "The code was already used.", "code")


async def start_session(user: User, method: str, client: ClientInfo, is_new: bool) -> SignedIn:
    if not user.is_active:
        raise DomainError(ErrorCode.ACCOUNT_DISABLED, "This account is disabled.")
    session = await Session.create(
        id=uuid.uuid4(), user_id=user.id, method=method, ip=client.ip[:64], user_agent=client.user_agent[:256]
    )
    return await _issue_tokens(user, session.id, is_new)


async def _issue_tokens(user: User, session_id: uuid.UUID, is_new: bool) -> SignedIn:
    access, access_exp = tokens.issue_access_token(user.id, session_id)
    refresh, digest = tokens.new_refresh_token()
    refresh_exp = clock.now() + timedelta(seconds=settings.REFRESH_TOKEN_TTL_SECONDS)
    await RefreshToken.create(session_id=session_id, token_hash=digest, expires_at=refresh_exp)
    return SignedIn(user, session_id, access, access_exp, refresh, refresh_exp, is_new)


async def _sign_up_or_in(
    lookup: dict, create: dict, method: str, invite_code: str | None, client: ClientInfo
) -> SignedIn:
    user = await User.get_or_none(**lookup)
    inviter = None
    if user is None and invite_code and settings.REFERRAL_BINDING_MODE == "SIGNUP":
        inviter = await referral.find_by_invite_code(invite_code)  # fail before creating anything
    async with unit_of_work():
        is_new = user is None
        if user is None:
            user = await referral.create_user(**create)
            if inviter is not None:
                # the code as shared: it may carry the material it came with (MKT-5)
                user = await referral.bind_upline(user, invite_code, source="SIGNUP")
        return await start_session(user, method, client, is_new)


async def sign_in_with_sms(raw_phone: str, code: str, invite_code: str | None, client: ClientInfo) -> SignedIn:
    phone = normalize_phone(raw_phone)
    lookup = {"phone_hash": sensitive.blind_index(phone)}
    if invite_code and settings.REFERRAL_BINDING_MODE == "SIGNUP" and not await User.exists(**lookup):
        await referral.find_by_invite_code(invite_code)  # a bad link must not burn the code
    await _consume_code(phone, code)
    return await _sign_up_or_in(lookup, {"phone": phone, "nickname": f"用户{phone[-4:]}"}, "SMS", invite_code, client)


async def bind_phone(user: User, raw_phone: str, code: str) -> User:
    """Give the signed-in user (e.g. WeChat-only) a phone, or change it, proven by an SMS code.
    The code is checked first, so PHONE_TAKEN never tells a stranger who is registered."""
    phone = normalize_phone(raw_phone)
    await _consume_code(phone, code)
    columns = sensitive.seal("phone", phone, hashed=True)
    if await User.filter(phone_hash=columns["phone_hash"]).exclude(id=user.id).exists():
        raise DomainError(ErrorCode.PHONE_TAKEN, "This phone number belongs to another account.", "phone")
    try:
        async with unit_of_work():
            await User.filter(id=user.id).update(**columns)
    except IntegrityError:  # a concurrent bind of the same number won the unique index
        raise DomainError(ErrorCode.PHONE_TAKEN, "This phone number belongs to another account.", "phone") from None
    return await User.get(id=user.id)


async def sign_in_with_wechat(code: str, invite_code: str | None, client: ClientInfo) -> SignedIn:
    identity = await wechat.get_adapter().code_to_identity(code)
    return await _sign_up_or_in(
        {"wechat_openid": identity.openid},
        {"wechat_openid": identity.openid, "wechat_unionid": identity.unionid, "nickname": "微信用户"},
        "WECHAT",
        invite_code,
        client,
    )


async def refresh(refresh_token: str) -> SignedIn:
    row = (
        await RefreshToken.filter(token_hash=tokens.hash_refresh_token(refresh_token))
        .select_related("session", "session__user")
        .first()
    )
    if row is None:
        raise DomainError(ErrorCode.TOKEN_INVALID, "Unknown refresh token.", "refreshToken")
    session = row.session
    if session.revoked_at is not None:
        raise DomainError(ErrorCode.TOKEN_REVOKED, "This session was signed out.", "refreshToken")
    if row.expires_at <= clock.now():
        raise DomainError(ErrorCode.TOKEN_EXPIRED, "The refresh token has expired.", "refreshToken")
    async with unit_of_work():
        rotated = await RefreshToken.filter(id=row.id, used_at=None).update(used_at=clock.now())
        if rotated:
            return await _issue_tokens(session.user, session.id, False)
    # A used refresh token came back: it was stolen or replayed. End the whole session.
    await revoke_session(session.id)
    raise DomainError(
        ErrorCode.TOKEN_REVOKED, "This refresh token was already used; the session is closed.", "refreshToken"
    )


async def revoke_session(session_id: uuid.UUID) -> None:
    async with unit_of_work():
        owners = await Session.filter(id=session_id, revoked_at=None).values_list("user_id", flat=True)
        if owners and await Session.filter(id=session_id, revoked_at=None).update(revoked_at=clock.now()):
            emit(user_channel(owners[0]), SessionsRevoked(session_id=str(session_id)))


async def revoke_all_sessions(user_id: int) -> int:
    async with unit_of_work():
        revoked = await Session.filter(user_id=user_id, revoked_at=None).update(revoked_at=clock.now())
        if revoked:
            emit(user_channel(user_id), SessionsRevoked())
    return revoked


@cache
def _session_sql() -> str:
    return (
        f"SELECT {columns(Session, 's')}, {columns(User, 'u', 'u__')} "
        "FROM account_session s JOIN account_user u ON u.id = s.user_id WHERE s.id = ?"
    )


async def _session_with_user(session_id: uuid.UUID) -> Session | None:
    """The session with its user (`select_related("user")`), by a statement built once: every
    request runs it."""
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        sql(conn, _session_sql()), [Session._meta.fields_map["id"].to_db_value(session_id, None)]
    )
    return instance(Session, rows[0], user=instance(User, rows[0], "u__")) if rows else None


async def authenticate(access_token: str) -> tuple[User, Session]:
    """The user and session the token names. The session's `token_expires_at` (not stored)
    says until when the token is valid: a WebSocket signed in with it ends then."""
    claims = tokens.decode_access_token(access_token)
    session = await _session_with_user(claims.session_id)
    if session is None or session.user_id != claims.user_id:
        raise DomainError(ErrorCode.TOKEN_INVALID, "The access token is invalid.")
    if session.revoked_at is not None:
        raise DomainError(ErrorCode.TOKEN_REVOKED, "This session was signed out.")
    if not session.user.is_active:
        raise DomainError(ErrorCode.ACCOUNT_DISABLED, "This account is disabled.")
    session.token_expires_at = claims.expires_at
    return session.user, session


async def session_is_live(session_id: uuid.UUID) -> bool:
    return await Session.exists(id=session_id, revoked_at=None, user__is_active=True)


async def live_sessions(session_ids: list[uuid.UUID | None]) -> list[bool]:
    """session_is_live for many sessions in one query (in the order given)."""
    live = set(
        await Session.filter(id__in=[s for s in session_ids if s], revoked_at=None, user__is_active=True).values_list(
            "id", flat=True
        )
    )
    return [session_id in live for session_id in session_ids]
